"""Writes: reference data published in official documents."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from suiqian.divisions.models import Division

from .models import NationalRatio, PublishedEnrollment
from .queries import percent

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"


class ReferenceDataError(ValueError):
    pass


def _check_printed_ratio(name: str, migrant: int, public: int, printed: str | None) -> None:
    if printed is None:
        return
    computed = f"{percent(public, migrant)}%"
    if computed != printed:
        raise ReferenceDataError(f"{name}：按原始人数计算的比例 {computed} 与文件所印 {printed} 不符")


@transaction.atomic
def load_published_enrollment(path: Path) -> int:
    """Load a published table of counts (附件1). Every printed ratio and total is re-checked first."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    year, source = int(data["year"]), data["source"]
    parent = Division.objects.existing_in(year).get(code=data["parent"])
    rows = data["rows"]
    for row in rows:
        _check_printed_ratio(row["name"], row["migrant_children"], row["public_school"], row.get("printed_ratio"))
    total = data.get("total")
    if total:
        for key in ("migrant_children", "public_school"):
            summed = sum(r[key] for r in rows)
            if summed != total[key]:
                raise ReferenceDataError(f"合计行 {key} 为 {total[key]}，各行之和为 {summed}")
        _check_printed_ratio(total["name"], total["migrant_children"], total["public_school"],
                             total.get("printed_ratio"))
    for row in rows:
        unit = Division.objects.existing_in(year).filter(path__startswith=parent.path).get(code=row["unit"])
        if unit.name != row["name"]:
            raise ReferenceDataError(f"区划代码 {row['unit']} 是{unit.name}，文件写的是{row['name']}")
        PublishedEnrollment.objects.update_or_create(
            unit=unit, year=year,
            defaults={"migrant_children": row["migrant_children"], "public_school": row["public_school"],
                      "source": source})
    return len(rows)


@transaction.atomic
def load_national_ratios(path: Path) -> int:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for entry in entries:
        NationalRatio.objects.update_or_create(
            year=int(entry["year"]), defaults={"ratio": Decimal(entry["ratio"]), "source": entry["source"]})
    return len(entries)


def load_reference_data() -> dict[str, int]:
    return {
        "published": sum(load_published_enrollment(p) for p in sorted(REFERENCE_DIR.glob("enrollment-*.yaml"))),
        "national": load_national_ratios(REFERENCE_DIR / "national-ratio.yaml"),
    }
