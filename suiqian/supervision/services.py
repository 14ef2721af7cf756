"""Writes: key-supervision lists, progress notes, inspections, 约谈/通报, published rankings."""

import datetime as dt
from pathlib import Path

import yaml
from django.db import transaction

from suiqian.accounts import audit
from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.params import too_long
from suiqian.reporting.rankings import indicator_table

from .models import Inspection, KeySupervisionListing, ProgressNote, PublishedRanking, Sanction

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


# --- key counties, inspections, 约谈/通报, published rankings -------------------------------------


class SupervisionError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(Refused, SupervisionError):
    pass


def _require_supervisor(scope: Scope, unit: Division) -> None:
    """Inspections are made by a unit above the inspected one, by its 审核员 or 管理员."""
    if not scope.may_supervise(unit):
        raise NotAllowed("只有上级单位的审核员或管理员可以开展检查")


def _require_inspector(scope: Scope, inspection: Inspection) -> None:
    if not scope.may_change_inspection(inspection):
        raise NotAllowed(f"这次检查由{inspection.inspector.name}开展，只有该单位及其上级的审核员或管理员可以修改或补充")


def add_progress_note(scope: Scope, user, unit: Division, year: int, text: str) -> ProgressNote:
    if not scope.may_note_progress(unit):
        raise NotAllowed("您没有记录该单位工作进展的权限")
    text = (text or "").strip()
    if not text:
        raise SupervisionError("进展内容不能为空")
    if not KeySupervisionListing.objects.filter(unit=unit, year=year).exists():
        raise SupervisionError(f"{unit.name}不在 {year} 年重点督促名单中")
    return ProgressNote.objects.create(unit=unit, year=year, text=text, author=user)


@transaction.atomic
def create_inspection(scope: Scope, user, unit: Division, *, plan: str, date: dt.date, findings: str = "",
                      rectification: str = "", rectification_due: dt.date | None = None) -> Inspection:
    _require_supervisor(scope, unit)
    if not (plan or "").strip():
        raise SupervisionError("请填写检查计划")
    if problem := too_long(Inspection, plan=plan.strip()):
        raise SupervisionError(problem)
    if rectification_due and rectification_due < date:
        raise SupervisionError("整改期限不能早于检查日期")
    status = Inspection.Status.RECTIFYING if (rectification or "").strip() else Inspection.Status.PLANNED
    audit.record(audit.Action.SUPERVISION, user=user, unit=unit, target=plan, detail={"event": "inspection"})
    return Inspection.objects.create(inspector=scope.unit or unit.parent, unit=unit, plan=plan.strip(), date=date,
                                     findings=findings.strip(), rectification=rectification.strip(),
                                     rectification_due=rectification_due, status=status, created_by=user)


INSPECTION_FIELDS = ("status", "findings", "rectification", "rectification_due")


@transaction.atomic
def update_inspection(scope: Scope, user, inspection: Inspection, *, status: str, findings: str | None = None,
                      rectification: str | None = None, rectification_due: dt.date | None = None) -> Inspection:
    _require_inspector(scope, inspection)
    if status not in Inspection.Status.values:
        raise SupervisionError("状态无效")
    inspection = Inspection.objects.select_for_update().select_related("unit").get(pk=inspection.pk)
    before = {f: getattr(inspection, f) for f in INSPECTION_FIELDS}
    inspection.status = status
    if findings is not None:
        inspection.findings = findings.strip()
    if rectification is not None:
        inspection.rectification = rectification.strip()
    if rectification_due is not None:
        inspection.rectification_due = rectification_due
    changes = {f: [_plain(before[f]), _plain(getattr(inspection, f))] for f in INSPECTION_FIELDS
               if before[f] != getattr(inspection, f)}
    if changes:
        inspection.save()
        audit.record(audit.Action.SUPERVISION, user=user, unit=inspection.unit, target=inspection.plan,
                     detail={"event": "inspection_changed", "inspection": inspection.pk, "changes": changes})
    return inspection


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def record_sanction(scope: Scope, user, inspection: Inspection, *, kind: str, date: dt.date, text: str) -> Sanction:
    _require_inspector(scope, inspection)
    if kind not in Sanction.Kind.values:
        raise SupervisionError("请选择约谈或通报")
    if not (text or "").strip():
        raise SupervisionError("请填写约谈或通报的内容")
    if not inspection.findings:
        raise SupervisionError("约谈、通报须针对检查发现的问题，请先记录检查发现")
    audit.record(audit.Action.SUPERVISION, user=user, unit=inspection.unit, target=inspection.plan,
                 detail={"event": kind, "text": text.strip()})
    return Sanction.objects.create(inspection=inspection, kind=kind, date=date, text=text.strip(), created_by=user)


def publish_ranking(scope: Scope, user, unit: Division, year: int) -> PublishedRanking:
    """Freeze the 附件1 of `unit` for `year` as it stands now: definition and every row."""
    if not scope.may_publish_ranking(unit):
        raise NotAllowed("只有本单位的管理员或审核员可以发布排名")
    table = indicator_table(scope, unit, year)
    if not any(r.has_data for r in table.rows):
        raise SupervisionError(f"{unit.name} {year} 年没有数据，不能发布排名")
    ind = table.indicator
    with transaction.atomic():
        ranking = PublishedRanking.objects.create(
            unit=unit, year=year, title=table.title, published_by=user,
            indicator={"code": ind.code, "label": ind.label, "numerator": ind.numerator,
                       "denominator": ind.denominator},
            rows=[_frozen_row(r) for r in table.rows if r.has_data], total=_frozen_row(table.total),
            national_ratio=str(table.national_ratio.ratio) if table.national_ratio else "")
        audit.record(audit.Action.SUPERVISION, user=user, unit=unit, target=ranking.title,
                     detail={"event": "ranking_published", "ranking": ranking.pk, "year": year,
                             "rows": len(ranking.rows)})
    return ranking


def _frozen_row(row) -> dict:
    return {"code": row.unit.code, "name": row.name, "numerator": row.numerator, "denominator": row.denominator,
            "ratio": str(row.ratio) if row.ratio is not None else None, "basis": row.basis}
