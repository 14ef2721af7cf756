"""Values of a form that another module supplies (aggregation: supplied), and second sources.

A module registers a function under the name a form file uses as `supplier`;
until one is registered, the field is entered by hand.

A second source (a form file's `sources`) is another record of the same figures, such
as the 教育事业统计: a module registers a function giving a unit's figures for a year
under the form's field codes, and the form's rules compare them with what was typed.
Until one is registered, the source has no figures and its rules are skipped.
"""

from collections.abc import Callable

_SUPPLIERS: dict[str, Callable] = {}


def register(name: str):
    def decorator(fn: Callable):
        _SUPPLIERS[name] = fn
        return fn

    return decorator


def supply(name: str, unit, year: int) -> int | None:
    fn = _SUPPLIERS.get(name)
    return fn(unit, year) if fn else None


def is_registered(name: str) -> bool:
    return name in _SUPPLIERS


_SOURCES: dict[str, Callable] = {}


def register_source(name: str):
    def decorator(fn: Callable):
        _SOURCES[name] = fn
        return fn

    return decorator


def source_values(name: str, unit, year: int) -> dict[str, int]:
    """Field code → figure from the source; fields the source does not know are left out."""
    fn = _SOURCES.get(name)
    return fn(unit, year) if fn else {}
