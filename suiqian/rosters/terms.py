"""Terms (学期) and how grades move from one term to the next.

A school year starts in the fall: `2021-fall` and `2022-spring` are the two terms of
school year 2021–2022. Grades stay the same from fall to spring and go up by one from
spring to the next fall, when grade 9 has left compulsory education.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERM = re.compile(r"^(\d{4})-(spring|fall)$")
SEASON_LABELS = {"spring": "春季", "fall": "秋季"}
LAST_GRADE = 9
PRIMARY_GRADES = range(1, 7)
JUNIOR_GRADES = range(7, 10)


class TermError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    year: int
    season: str  # "spring" | "fall"

    @classmethod
    def parse(cls, text: str | Term) -> Term:
        if isinstance(text, Term):
            return text
        match = _TERM.match((text or "").strip())
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise TermError(f"学期“{text}”格式不对，应为 2021-fall（秋季）或 2022-spring（春季）")
        return cls(int(match.group(1)), match.group(2))

    @property
    def code(self) -> str:
        return f"{self.year}-{self.season}"

    @property
    def label(self) -> str:
        return f"{self.year}年{SEASON_LABELS[self.season]}学期"

    @property
    def is_fall(self) -> bool:
        return self.season == "fall"

    @property
    def sort_key(self) -> int:
        return self.year * 2 + (1 if self.is_fall else 0)

    @property
    def school_year_start(self) -> int:
        return self.year if self.is_fall else self.year - 1

    @property
    def previous(self) -> Term:
        return Term(self.year, "spring") if self.is_fall else Term(self.year - 1, "fall")

    @property
    def next(self) -> Term:
        return Term(self.year + 1, "spring") if self.is_fall else Term(self.year, "fall")

    @property
    def grades_advance_from_previous(self) -> bool:
        """From spring to fall every child moves up one grade."""
        return self.is_fall

    @property
    def graduates_leave_before(self) -> bool:
        """Grade 9 of the previous term has finished compulsory education when this term starts."""
        return self.is_fall

    def __str__(self) -> str:
        return self.code


def sorted_terms(codes) -> list[Term]:
    """Newest first."""
    return sorted((Term.parse(c) for c in codes), key=lambda t: t.sort_key, reverse=True)
