"""Writes: key-supervision lists."""

from pathlib import Path

import yaml
from django.db import transaction

from suiqian.divisions.models import Division

from .models import KeySupervisionListing

DATA_DIR = Path(__file__).parent / "data"


class KeyListError(ValueError):
    pass


@transaction.atomic
def load_key_list(path: Path) -> int:
    """Load one year's official list; the printed name must end with the unit's name (guards the codes)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    year = int(data["year"])
    for entry in data["units"]:
        unit = Division.objects.existing_in(year).filter(code=entry["code"]).first()
        if unit is None:
            raise KeyListError(f"{year} 年不存在区划代码 {entry['code']}（{entry['printed']}）")
        if not entry["printed"].endswith(unit.name):
            raise KeyListError(f"区划代码 {entry['code']} 是{unit.full_name}，名单写的是{entry['printed']}")
        KeySupervisionListing.objects.update_or_create(
            unit=unit, year=year, defaults={"listed_by": data["listed_by"], "source": data["source"]})
    return len(data["units"])


def load_key_lists() -> int:
    return sum(load_key_list(p) for p in sorted(DATA_DIR.glob("key-counties-*.yaml")))
