"""Request parameters every app reads the same way: malformed input is a 400 with a reason, never a 500."""

from django.core.exceptions import BadRequest

# Wide enough for any school year the platform will hold, narrow enough for every database integer column.
MIN_YEAR, MAX_YEAR = 1949, 2199


def parse_year(text, *, required: bool = True) -> int | None:
    """The year in `text` (ASCII digits only), BadRequest when it is not a plausible year."""
    text = (str(text) if text is not None else "").strip()
    if not text:
        if required:
            raise BadRequest("请指定年份")
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4) or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise BadRequest("年份无效")
    return int(text)
