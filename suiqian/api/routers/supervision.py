"""Supervision: the early-warning list, key counties with their plans and progress notes, inspections and
the 约谈/通报 that follow them."""

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from suiqian.reporting.queries import requested_year
from suiqian.supervision import queries, services

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import UnitRef, scope_of, unit_ref, year_param

router = Router(auth=TokenAuth(Group.SUPERVISION), tags=["督导"])


class WarningOut(Schema):
    unit: UnitRef
    reason: str = Field(description="低于全国比例 / 比例同比下降 / 疑似辍学个案未结 / 逾期未报 / 逾期报送",
                        examples=["低于全国比例"])
    value: str = Field(description="依据", examples=["78.5%（全国 85.8%）"])


class PlanOut(Schema):
    id: int
    unit: UnitRef
    requirement: str
    version: int
    status: str
    status_label: str


class NoteOut(Schema):
    text: str
    author: str | None
    created_at: dt.datetime


class KeyCountyOut(Schema):
    unit: UnitRef
    year: int
    listed_by: str = Field(description="列入单位")
    source: str = Field(description="来源文件")
    filed: bool = Field(description="一县一案已经省级备案")
    plans: list[PlanOut] = Field(description="该县及其所在市报送的工作方案，新的在前")
    notes: list[NoteOut] = Field(description="工作进展")


class NoteIn(Schema):
    year: int = Field(ge=2000, le=2100, examples=[2021])
    text: str = Field(description="进展", examples=["新建学校一所，增加学位 900 个"])


class SanctionOut(Schema):
    id: int
    kind: str = Field(description="talk 约谈 / bulletin 通报")
    kind_label: str
    date: dt.date
    text: str


class InspectionOut(Schema):
    id: int
    inspector: UnitRef = Field(description="检查单位")
    unit: UnitRef = Field(description="被检查单位")
    plan: str
    date: dt.date
    findings: str
    rectification: str
    rectification_due: dt.date | None
    status: str = Field(description="planned 计划中 / rectifying 整改中 / closed 已完成")
    status_label: str
    sanctions: list[SanctionOut]


class InspectionIn(Schema):
    unit: str = Field(description="被检查单位的区划代码（下级单位）", examples=["140525"])
    plan: str = Field(max_length=200, examples=["2021 年随迁子女入学专项检查"])
    date: dt.date = Field(examples=["2021-10-01"])
    findings: str = Field("", description="发现的问题")
    rectification: str = Field("", description="整改要求")
    rectification_due: dt.date | None = Field(None, description="整改期限")


class InspectionUpdateIn(Schema):
    status: Literal["planned", "rectifying", "closed"] = Field(examples=["closed"])
    findings: str | None = Field(None, description="不填则不变")
    rectification: str | None = Field(None, description="不填则不变")
    rectification_due: dt.date | None = Field(None, description="不填则不变")


class SanctionIn(Schema):
    kind: Literal["talk", "bulletin"] = Field(description="talk 约谈 / bulletin 通报", examples=["talk"])
    date: dt.date = Field(examples=["2021-10-20"])
    text: str = Field(examples=["约谈县教育局主要负责人，限期整改"])


def inspection_out(i) -> dict:
    return {"id": i.pk, "inspector": unit_ref(i.inspector), "unit": unit_ref(i.unit), "plan": i.plan, "date": i.date,
            "findings": i.findings, "rectification": i.rectification, "rectification_due": i.rectification_due,
            "status": i.status, "status_label": i.get_status_display(),
            "sanctions": [{"id": s.pk, "kind": s.kind, "kind_label": s.get_kind_display(), "date": s.date,
                           "text": s.text} for s in i.sanctions.all()]}


def _inspection(request, inspection_id: int):
    return get_object_or_404(queries.inspections(scope_of(request)).select_related("inspector"), pk=inspection_id)


@router.get("/supervision/warnings", response=responses(list[WarningOut]), summary="预警名单",
            description="权限范围内低于全国比例、比例同比下降、疑似辍学个案未结、逾期未报或逾期报送的单位（不含本单位）。")
def list_warnings(request, year: int | None = year_param()):
    scope = scope_of(request)
    year = year or requested_year(scope, None)
    return [{"unit": unit_ref(w.unit), "reason": w.reason, "value": w.value}
            for w in queries.early_warnings(scope, year)]


@router.get("/supervision/key-counties", response=responses(list[KeyCountyOut]), summary="重点督促县",
            description="附件2 名单中权限范围内的县：一县一案、备案情况、工作进展。")
def list_key_counties(request, year: int = year_param(2021, "年份（2000—2100）")):
    out = []
    for k in queries.key_counties(scope_of(request), year):
        out.append({"unit": unit_ref(k.listing.unit), "year": k.listing.year, "listed_by": k.listing.listed_by,
                    "source": k.listing.source, "filed": k.filed,
                    "plans": [{"id": p.pk, "unit": unit_ref(p.unit), "requirement": p.requirement.title,
                               "version": p.version, "status": p.status, "status_label": p.get_status_display()}
                              for p in k.plans],
                    "notes": [{"text": n.text, "author": n.author.username if n.author else None,
                               "created_at": n.created_at} for n in k.notes]})
    return out


@router.post("/supervision/key-counties/{code}/notes", response=responses(NoteOut), summary="记录重点县工作进展")
def add_note(request, code: str, body: NoteIn):
    scope = scope_of(request)
    note = services.add_progress_note(scope, request.user, scope.get_unit(code), body.year, body.text)
    return {"text": note.text, "author": request.user.username, "created_at": note.created_at}


@router.get("/supervision/inspections", response=responses(list[InspectionOut]), summary="专项检查",
            description="权限范围内各单位接受的专项检查，最近 200 次。")
def list_inspections(request):
    return [inspection_out(i) for i in queries.inspections(scope_of(request)).select_related("inspector")[:200]]


@router.post("/supervision/inspections", response=responses(InspectionOut), summary="登记专项检查",
             description="上级单位的审核员或管理员登记对下级单位的检查。")
def create_inspection(request, body: InspectionIn):
    scope = scope_of(request)
    inspection = services.create_inspection(
        scope, request.user, scope.get_unit(body.unit), plan=body.plan, date=body.date, findings=body.findings,
        rectification=body.rectification, rectification_due=body.rectification_due)
    return inspection_out(inspection)


@router.get("/supervision/inspections/{inspection_id}", response=responses(InspectionOut), summary="专项检查详情")
def get_inspection(request, inspection_id: int):
    return inspection_out(_inspection(request, inspection_id))


@router.patch("/supervision/inspections/{inspection_id}", response=responses(InspectionOut),
              summary="更新专项检查（状态、发现、整改）")
def update_inspection(request, inspection_id: int, body: InspectionUpdateIn):
    inspection = services.update_inspection(
        scope_of(request), request.user, _inspection(request, inspection_id), status=body.status,
        findings=body.findings, rectification=body.rectification, rectification_due=body.rectification_due)
    return inspection_out(inspection)


@router.post("/supervision/inspections/{inspection_id}/sanctions", response=responses(InspectionOut),
             summary="记录约谈或通报", description="须针对检查发现的问题。")
def add_sanction(request, inspection_id: int, body: SanctionIn):
    inspection = _inspection(request, inspection_id)
    services.record_sanction(scope_of(request), request.user, inspection, kind=body.kind, date=body.date,
                             text=body.text)
    return inspection_out(_inspection(request, inspection_id))
