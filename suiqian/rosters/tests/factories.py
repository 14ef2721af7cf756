"""Hand-made rosters for the tests: children with real-looking, checksum-valid 身份证号."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from stdnum.cn import ric

from suiqian.rosters.columns import HEADER


def id_number(place: str, born: str, order: int, *, male: bool) -> str:
    """A valid number: address code, birth date, order (odd for boys), check digit."""
    order = order * 2 + (1 if male else 0)
    body = f"{place}{born.replace('-', '')}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class Child:
    id: str
    name: str
    sex: str
    born: str
    school: str
    school_type: str
    grade: int
    county: str
    migrant_worker: str = "是"

    def row(self) -> list[str]:
        return [self.id, self.name, self.sex, self.born, self.school, self.school_type, str(self.grade), self.county,
                self.migrant_worker]

    def moved(self, **changes) -> Child:
        return replace(self, **changes)

    def next_year(self) -> Child:
        """The same child a school year later (spring → fall)."""
        return replace(self, grade=self.grade + 1)


def child(n: int, county: str = "140525", grade: int = 3, *, male: bool = True, school_type: str = "公办",
          school: str | None = None, migrant_worker: str = "是", place: str = "410102") -> Child:
    """Child number `n`: born the year their grade implies (spring 2021), unique by `n`."""
    born = dt.date(2021 - 6 - grade, 3, 1) + dt.timedelta(days=n % 200)
    return Child(id_number(place, born.isoformat(), n, male=male), f"学生{n:03d}", "男" if male else "女",
                 born.isoformat(), school or ("第一小学" if grade <= 6 else "第一中学"), school_type, grade, county,
                 migrant_worker)


def roster_text(rows, header=HEADER) -> str:
    lines = [",".join(header)]
    lines += [",".join(r.row() if isinstance(r, Child) else r) for r in rows]
    return "\n".join(lines) + "\n"


def write_roster(tmp_path: Path, rows, name="roster.csv", encoding="utf-8", header=HEADER) -> Path:
    path = tmp_path / name
    path.write_bytes(roster_text(rows, header).encode(encoding))
    return path


def import_rows(scope, user, tmp_path: Path, rows, term: str, *, unit=None, on_error="stop", name="roster.csv"):
    from suiqian.rosters import jobs

    path = write_roster(tmp_path, rows, name=name)
    return jobs.import_file(scope, user, path, term, unit=unit, on_error=on_error)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    """A roster as Excel saves it: grades as numbers."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(list(header))
    for r in rows:
        values = r.row() if isinstance(r, Child) else r
        wb.active.append([int(v) if v.isdigit() and len(v) < 3 else v for v in values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
