"""Chinese labels for the codes that must never reach a user (field codes, status values, term codes).

One shared place: each domain app registers where its labels come from (its form files, its model
choices) when it starts, and any page — the audit log, a roster summary, an import error — asks here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# kind ("field", "status", "event") → lookups, each answering a code with its label or None
_LOOKUPS: dict[str, list[Callable[[str], str | None]]] = {}

SEASONS = {"spring": "春季", "fall": "秋季"}
_TERM = re.compile(r"(?<![0-9A-Za-z])(\d{4})-(spring|fall)(?![A-Za-z])")


def register(kind: str, lookup: Callable[[str], str | None] | dict[str, str]) -> None:
    """Add a source of labels for `kind`: a mapping, or a function (read lazily, e.g. from the database)."""
    _LOOKUPS.setdefault(kind, []).append(lookup.get if isinstance(lookup, dict) else lookup)


def register_choices(kind: str, choices: Iterable[tuple[str, str]]) -> None:
    register(kind, dict(choices))


def label(kind: str, code, default: str | None = None) -> str:
    """The label of a code; an unknown code gives `default` (or a neutral 未知…), never the code itself."""
    text = "" if code is None else str(code)
    for lookup in _LOOKUPS.get(kind, []):
        found = lookup(text)
        if found:
            return found
    if kind == "term":
        return term_label(text)
    return default if default is not None else "（未知项目）"


def term_label(code: str) -> str:
    """`2021-fall` → `2021 年秋季学期`."""
    match = _TERM.fullmatch(code or "")
    return f"{match.group(1)} 年{SEASONS[match.group(2)]}学期" if match else (code or "")


def humanize_terms(text: str) -> str:
    """Every term code inside a free text (an old audit target, say) in words."""
    return _TERM.sub(lambda m: f"{m.group(1)} 年{SEASONS[m.group(2)]}学期", text or "")
