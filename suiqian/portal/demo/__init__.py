"""Demo data for `make demo` (`suiqian demo users|data`): 晋城市 part-way through the 2021 cycle."""
