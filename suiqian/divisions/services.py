"""Writes to the division tree."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import Division

DATA_DIR = Path(__file__).parent / "data"
NATIONAL_CODE = Division.NATIONAL_CODE
LEVEL_OF_KIND = {
    Division.Kind.NATIONAL: Division.Level.NATIONAL,
    Division.Kind.PROVINCE: Division.Level.PROVINCE,
    Division.Kind.AUTONOMOUS_REGION: Division.Level.PROVINCE,
    Division.Kind.MUNICIPALITY: Division.Level.PROVINCE,
    Division.Kind.CITY: Division.Level.CITY,
    Division.Kind.AUTONOMOUS_PREFECTURE: Division.Level.CITY,
    Division.Kind.PREFECTURE: Division.Level.CITY,
    Division.Kind.LEAGUE: Division.Level.CITY,
    Division.Kind.DISTRICT: Division.Level.COUNTY,
    Division.Kind.COUNTY: Division.Level.COUNTY,
    Division.Kind.COUNTY_CITY: Division.Level.COUNTY,
}


class DivisionDataError(ValueError):
    pass


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def province_codes() -> list[str]:
    """Province-level codes that have a data file (the national root is not one of them)."""
    return sorted(p.stem for p in DATA_DIR.glob("*.json") if p.stem != NATIONAL_CODE)


def data_file_for(province_code: str) -> Path:
    path = DATA_DIR / f"{province_code}.json"
    if not path.exists():
        available = ", ".join(sorted(p.stem for p in DATA_DIR.glob("*.json")))
        raise DivisionDataError(f"没有省级区划数据文件 {province_code}（可用：{available}）")
    return path


def _validate(units: list[dict]) -> None:
    seen = set()
    codes = {u["code"] for u in units}
    for u in units:
        code = u.get("code", "")
        if len(code) != 6 or not code.isdigit():
            raise DivisionDataError(f"区划代码必须是 6 位数字：{code!r}")
        if u.get("kind") not in LEVEL_OF_KIND:
            raise DivisionDataError(f"{code} 的类型无效：{u.get('kind')!r}")
        if u.get("parent") and u["parent"] not in codes:
            raise DivisionDataError(f"{code} 的上级 {u['parent']} 不在文件中")
        key = (code, u.get("valid_to"))
        if key in seen:
            raise DivisionDataError(f"区划代码重复：{code}")
        seen.add(key)


def _root_parent(unit: dict) -> Division | None:
    """A province file's top unit hangs below 教育部 once the national root is loaded; alone, it is the root."""
    if LEVEL_OF_KIND[unit["kind"]] != Division.Level.PROVINCE:
        return None
    return Division.objects.filter(level=Division.Level.NATIONAL, valid_to__isnull=True).first()


@transaction.atomic
def load_divisions(path: Path) -> LoadResult:
    """Load a division file idempotently: units are matched on (code, valid_to) and updated in place."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    units = data["units"]
    _validate(units)
    result = LoadResult()
    saved: dict[str, Division] = {}
    # Parents first: a unit's path is built from its parent's.
    for u in sorted(units, key=lambda u: (LEVEL_OF_KIND[u["kind"]], u["code"])):
        parent = saved.get(u["parent"]) if u.get("parent") else _root_parent(u)
        if u.get("parent") and parent is None:
            parent = Division.objects.get(code=u["parent"], valid_to__isnull=True)
        # "山西省", not "全国山西省": the country is not part of a unit's written name.
        above = parent.full_name if parent and parent.level != Division.Level.NATIONAL else ""
        fields = {
            "name": u["name"],
            "full_name": above + u["name"],
            "kind": u["kind"],
            "level": LEVEL_OF_KIND[u["kind"]],
            "parent": parent,
            "path": (parent.path if parent else "") + u["code"] + "/",
            "valid_from": u.get("valid_from"),
        }
        unit = Division.objects.filter(code=u["code"], valid_to=u.get("valid_to")).first()
        if unit is None:
            unit = Division.objects.create(code=u["code"], valid_to=u.get("valid_to"), **fields)
            result.created += 1
        elif any(getattr(unit, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(unit, k, v)
            unit.save()
            result.updated += 1
        else:
            result.unchanged += 1
        if u.get("valid_to") is None:
            saved[u["code"]] = unit
    for u in units:
        if u.get("successor"):
            Division.objects.filter(code=u["code"], valid_to=u.get("valid_to")).update(
                successor=saved[u["successor"]])
    return result


def load_province(province_code: str) -> LoadResult:
    return load_divisions(data_file_for(province_code))


def load_national_root() -> LoadResult:
    """教育部 alone; provinces loaded after it (or again) hang below it."""
    return load_divisions(DATA_DIR / f"{NATIONAL_CODE}.json")


@transaction.atomic
def load_national() -> LoadResult:
    """教育部 and every province below it (`divisions load --province all`)."""
    total = load_national_root()
    for code in province_codes():
        result = load_province(code)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
    return total
