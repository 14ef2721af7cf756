"""Chinese and Arabic numerals, and the durations county rules state (半年, 满1年, 二十四个月, 1年半 …)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
          "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100}
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

NUMBER = r"[0-9０-９]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百壹贰叁肆伍陆柒捌玖拾佰]+"
# Years beyond this are dates (2021年) or nonsense, never a required holding time.
MAX_YEARS = 50

# Order matters: the longer forms (1年半, 一个半月) must win over their prefixes (1年, 一个).
DURATION = re.compile(
    rf"""
    (?<!第)(?:
    (?P<half_year>半年)
  | (?P<years_half>{NUMBER})(?:个)?年半
  | (?P<months_half>{NUMBER})个半月
  | (?P<anniversaries>{NUMBER})(?:个)?周年
  | (?P<years>{NUMBER})(?:个)?(?:年)(?![级度份底初末龄制]|义务|一贯)
  | (?P<months>{NUMBER})个(?:多)?月
  | (?:(?<=满)|(?<=连续)|(?<=累计)|(?<=不少于)|(?<=不低于)|(?<=不足)|(?<=至少))(?P<bare_months>{NUMBER})月(?![份底初末])
    )""",
    re.VERBOSE,
)
# A year or month number directly followed by a day or month is a date (2021年9月, 8月31日).
DATE_TAIL = re.compile(rf"\s*(?:{NUMBER})\s*[月日号]")


class NumeralError(ValueError):
    pass


def parse_number(text: str) -> float:
    """'18' → 18, '1.5' → 1.5, '十八' → 18, '二十四' → 24, '两' → 2, '一百零五' → 105."""
    text = text.translate(FULLWIDTH_DIGITS)
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[0-9]+\.[0-9]+", text):
        return float(text)
    if not text or any(ch not in DIGITS and ch not in UNITS for ch in text):
        raise NumeralError(f"不是数字：{text!r}")
    if all(ch in DIGITS for ch in text):
        # Digit by digit, as in 二〇二一.
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, pending = 0, None
    for ch in text:
        if ch in DIGITS:
            pending = DIGITS[ch]
        else:
            total += (1 if pending is None else pending) * UNITS[ch]
            pending = None
    return total + (pending or 0)


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    months: float
    text: str


def _months(match: re.Match) -> float | None:
    kind = match.lastgroup
    if kind == "half_year":
        return 6
    count = parse_number(match.group(kind))
    if kind in ("years", "anniversaries"):
        return None if count > MAX_YEARS else count * 12
    if kind == "years_half":
        return None if count > MAX_YEARS else count * 12 + 6
    if kind == "months_half":
        return count + 0.5
    return count  # months, bare_months


def find_durations(text: str) -> list[Duration]:
    """Every duration in `text`, in order; dates such as 2021年9月 or 8月31日 are not durations."""
    found = []
    for match in DURATION.finditer(text):
        if match.lastgroup in ("years", "bare_months") and DATE_TAIL.match(text, match.end()):
            continue
        try:
            months = _months(match)
        except NumeralError:
            continue
        if months is not None:
            found.append(Duration(match.start(), match.end(), months, match.group()))
    return found


def parse_duration(text: str) -> float | None:
    """Months of the first duration in `text`, or None: '1年半' → 18, '三周年' → 36."""
    durations = find_durations(text)
    return durations[0].months if durations else None
