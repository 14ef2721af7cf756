"""Counts as people type them: 12,788 / １２７８８ / " 12788 " are all 12788."""

from __future__ import annotations

import re

_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－＋　", "0123456789,.-+ ")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")


class CountError(ValueError):
    pass


def parse_count(raw, label: str = "") -> int | None:
    """A non-negative whole number, or None for an empty cell; CountError names the field otherwise."""
    where = f"“{label}”" if label else ""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise CountError(f"{where}应填写人数或个数（非负整数）")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if raw != raw or not raw.is_integer():
            raise CountError(f"{where}不能是小数：{raw:g}")
        value = int(raw)
    else:
        text = str(raw).translate(_FULL_WIDTH).strip().replace(" ", "")
        if text == "":
            return None
        if text.startswith("-"):
            raise CountError(f"{where}不能是负数：{raw}")
        text = text.lstrip("+")
        if _GROUPED.match(text):
            text = text.replace(",", "")
        if re.fullmatch(r"\d+\.\d*|\.\d+", text):
            raise CountError(f"{where}不能是小数：{raw}")
        if not text.isascii() or not text.isdigit():
            raise CountError(f"{where}应填写非负整数，“{raw}”不是数字")
        value = int(text)
    if value < 0:
        raise CountError(f"{where}不能是负数：{value}")
    if value > 2_000_000_000:
        raise CountError(f"{where}数值过大：{value}")
    return value
