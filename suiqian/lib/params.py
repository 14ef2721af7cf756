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


def too_long(model, **values) -> str | None:
    """The first value longer than its model field allows, as a message — PostgreSQL refuses what SQLite keeps,
    so services check lengths themselves and both engines hold the same data."""
    for name, value in values.items():
        field = model._meta.get_field(name)
        limit = getattr(field, "max_length", None)
        if limit and value is not None and len(str(value)) > limit:
            return f"{field.verbose_name}不能超过 {limit} 个字（现为 {len(str(value))} 个）"
    return None
