"""The 实施细则 check: post a document or text, get the findings with the clauses they break;
and the counties of a city side by side."""

from django.http import Http404
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from suiqian.divisions.models import Division
from suiqian.notices.enrollment_rules import city_consistency
from suiqian.policies.uploads import check_text, check_upload

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import UnitRef, scope_of, unit_ref

router = Router(auth=TokenAuth(Group.POLICIES), tags=["实施细则审查"])


class PolicyFindingOut(Schema):
    code: str = Field(description="问题代码", examples=["RESIDENCE_PERMIT_DURATION_EXCEEDS"])
    severity: str = Field(description="error 违反政策 / warning 值得注意", examples=["error"])
    paragraph: int = Field(description="段落号（从 1 开始）", examples=[3])
    start: int = Field(description="问题句子在段落中的起始位置（字符）")
    end: int = Field(description="结束位置（字符，不含）")
    text: str = Field(description="问题句子", examples=["须持有本市居住证满一年。"])
    rule: str = Field(description="说明", examples=["居住证持有时间要求超过半年"])
    clause: str = Field(description="违反的条款", examples=["晋教基函〔2021〕24号 二"])
    title: str = Field("", description="问题名称")
    trigger: str = Field("", description="触发的词语", examples=["满一年"])
    certain: bool = Field(True, description="false：像是违反政策但规则不能确定，需人工核查")


class PolicyCheckOut(Schema):
    paragraphs: int = Field(description="读出的段落数")
    findings: list[PolicyFindingOut]


class ConsistencyCellOut(Schema):
    column: str = Field(description="条件", examples=["居住证持有时间"])
    value: str = Field(description="该县的要求", examples=["6个月"])
    differs: bool = Field(description="与多数县不同")


class ConsistencyRowOut(Schema):
    county: str
    cells: list[ConsistencyCellOut]


class ConsistencyOut(Schema):
    city: UnitRef
    requirement: int | None = Field(description="比对所依据的报送事项（id）；该市尚未要求报送时为 null")
    rows: list[ConsistencyRowOut]
    missing: list[dict] = Field(description="未能比对的县：county、reason")


@router.post("/policies/check", response=responses(PolicyCheckOut), auth=TokenAuth(Group.POLICIES, writes=False),
             summary="实施细则政策审查",
             description="multipart/form-data：上传 `file`（.docx、有文字层的 .pdf、UTF-8/GBK .txt，不超过 20 MB），"
                         "或在 `text` 中直接给出正文（每行一段）。不保存任何内容，只读令牌也可使用。")
def check_policy(request, file: UploadedFile | None = File(None, description="实施细则文件"),
                 text: str = Form("", description="正文（不上传文件时）")):
    return check_upload(file, file.name or "") if file is not None else check_text(text)


@router.get("/policies/consistency/{code}", response=responses(ConsistencyOut), summary="各县条件对比",
            description="一个地级市各县现行实施细则的关键条件并排，标出与多数县不同之处。")
def get_consistency(request, code: str):
    scope = scope_of(request)
    city = scope.get_unit(code)
    if city.level != Division.Level.CITY:
        raise Http404("请选择一个地级市")
    result = city_consistency(scope, city)
    rows = []
    if result.table is not None:
        labels = [c.label for c in result.table.columns]
        rows = [{"county": row.label, "cells": [{"column": label, "value": cell.display, "differs": cell.differs}
                                                 for label, cell in zip(labels, row.cells, strict=True)]}
                for row in result.table.rows]
    return {"city": unit_ref(city), "requirement": result.requirement.pk if result.requirement else None,
            "rows": rows, "missing": [{"county": unit_ref(c), "reason": why} for c, why in result.missing]}
