"""Units and forms: read a report, save values, submit, approve, return, unlock."""

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from suiqian.reporting import queries, services
from suiqian.reporting.models import FormDefinition

from ..auth import TokenAuth
from ..errors import responses
from ..models import Group
from .common import scope_of

router = Router(auth=TokenAuth(Group.REPORTING), tags=["单位与填报"])


class UnitOut(Schema):
    code: str = Field(examples=["140525"])
    name: str = Field(examples=["泽州县"])
    full_name: str = Field(examples=["山西省晋城市泽州县"])
    level: int = Field(description="1 省级，2 市级，3 县级", examples=[3])
    parent_code: str | None = Field(examples=["140500"])


class FieldOut(Schema):
    code: str = Field(description="字段代码", examples=["public_school_primary"])
    label: str = Field(description="项目名称")
    levels: list[str] = Field(description="填报层级")


class FormOut(Schema):
    code: str = Field(examples=["summary-2021"])
    year: int = Field(examples=[2021])
    title: str


class FormDetailOut(FormOut):
    fields: list[FieldOut]


class FindingOut(Schema):
    rule: str = Field(description="校验规则代码")
    severity: str = Field(description="error 阻止上报；warning 填写说明后可上报")
    message: str = Field(description="中文说明")
    fields: list[str]


class ReportOut(Schema):
    form: str = Field(examples=["summary-2021"])
    unit: str = Field(examples=["140525"])
    year: int
    status: str = Field(description="new 未填报 / draft 草稿 / submitted 已上报 / approved 已审核", examples=["draft"])
    status_label: str = Field(examples=["草稿"])
    version: int = Field(description="保存时带上，防止覆盖他人的修改")
    values: dict[str, int | None]
    findings: list[FindingOut] = Field(description="校验结果")
    missing: list[str] = Field(description="尚未填写的必填字段")


class ValuesIn(Schema):
    values: dict[str, str | int | None] = Field(
        description="字段代码 → 数值；null 或空串为清空", examples=[{"public_school_primary": 120, "gaokao_applicants": 30}])
    version: int | None = Field(None, description="读取时的版本号；若他人已修改则返回 409")


class ReasonIn(Schema):
    reason: str = Field(description="原因", examples=["请核对公办学校在校生人数"])
    cell_comments: dict[str, str] = Field({}, description="字段代码 → 批注")


class SubmitIn(Schema):
    explanations: dict[str, str] = Field({}, description="警告规则代码 → 说明（有警告时必填）")
    incomplete_reason: str = Field("", description="市、省汇总未包含全部下级单位时必填的理由")


def _unit_out(unit) -> dict:
    return {"code": unit.code, "name": unit.name, "full_name": unit.full_name, "level": unit.level,
            "parent_code": unit.parent.code if unit.parent_id else None}


def report_out(form, unit, report=None) -> dict:
    """`report`: the unit's report when the operation has just written it (not read again)."""
    report = report or queries.report_of(form, unit)
    values = queries.current_values(form, unit, report)
    check = (report.passed_check if report and report.passed_check else queries.check_values(form, unit, values))
    return {"form": form.code, "unit": unit.code, "year": form.year,
            "status": report.status if report else "new",
            "status_label": report.get_status_display() if report else "未填报",
            "version": report.version if report else 0, "values": values,
            "findings": [{"rule": f.rule, "severity": f.severity, "message": f.message, "fields": list(f.fields)}
                         for f in [*check.errors, *check.warnings]],
            "missing": [f.code for f in check.missing]}


def _form_unit(request, code: str, unit_code: str):
    form = get_object_or_404(FormDefinition, code=code)
    return form, scope_of(request).get_unit(unit_code, form.year)


@router.get("/units", response=responses(list[UnitOut]), summary="可见的单位",
            description="本单位及全部下级单位；`parent` 只列该单位的直接下级。")
def list_units(request, parent: str | None = None):
    scope = scope_of(request)
    units = scope.units().current().select_related("parent")
    if parent:
        units = units.filter(parent=scope.get_unit(parent))
    return [_unit_out(u) for u in units]


@router.get("/units/{code}", response=responses(UnitOut), summary="单位")
def get_unit(request, code: str):
    return _unit_out(scope_of(request).get_unit(code))


@router.get("/forms", response=responses(list[FormOut]), summary="表单")
def list_forms(request):
    return [{"code": f.code, "year": f.year, "title": f.title} for f in FormDefinition.objects.all()]


@router.get("/forms/{code}", response=responses(FormDetailOut), summary="表单定义", description="字段代码与名称。")
def get_form(request, code: str):
    form = get_object_or_404(FormDefinition, code=code)
    return {"code": form.code, "year": form.year, "title": form.title,
            "fields": [{"code": f.code, "label": f.label, "levels": list(f.levels)} for f in form.parsed.fields]}


@router.get("/forms/{code}/reports/{unit_code}", response=responses(ReportOut),
            summary="单位的填报：数值、状态、校验结果")
def get_report(request, code: str, unit_code: str):
    form, unit = _form_unit(request, code, unit_code)
    return report_out(form, unit)


@router.put("/forms/{code}/reports/{unit_code}/values", response=responses(ReportOut), summary="保存数值（草稿）",
            description="只有本单位的填报员可以保存；已上报或已锁定的表返回 409。")
def put_values(request, code: str, unit_code: str, body: ValuesIn):
    form, unit = _form_unit(request, code, unit_code)
    raw = {k: "" if v is None else str(v) for k, v in body.values.items()}
    report = services.save_values(scope_of(request), request.user, form, unit, raw, expected_version=body.version)
    return report_out(form, unit, report)


def _transition(request, code, unit_code, action):
    form, unit = _form_unit(request, code, unit_code)
    report = queries.report_of(form, unit)
    if report is None:
        raise HttpError(409, "该表尚未填写")
    return report_out(form, unit, action(scope_of(request), request.user, report))


@router.post("/forms/{code}/reports/{unit_code}/submit", response=responses(ReportOut), summary="上报",
             description="有错误时返回 422；有警告须在 `explanations` 中逐条说明。")
def submit(request, code: str, unit_code: str, body: SubmitIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.submit_report(s, u, r, body.explanations,
                                                              incomplete_reason=body.incomplete_reason))


@router.post("/forms/{code}/reports/{unit_code}/approve", response=responses(ReportOut), summary="审核通过",
             description="上级单位的审核员审核直接下级上报的表，通过后锁定。")
def approve(request, code: str, unit_code: str):
    return _transition(request, code, unit_code, services.approve_report)


@router.post("/forms/{code}/reports/{unit_code}/return", response=responses(ReportOut), summary="退回")
def return_(request, code: str, unit_code: str, body: ReasonIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.return_report(s, u, r, body.reason, body.cell_comments))


@router.post("/forms/{code}/reports/{unit_code}/unlock", response=responses(ReportOut), summary="解锁")
def unlock(request, code: str, unit_code: str, body: ReasonIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.unlock_report(s, u, r, body.reason))
