"""REST API v1 (django-ninja). Every operation resolves units through the same scope helper as the pages."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from suiqian.accounts.scope import Scope
from suiqian.reporting import queries, services
from suiqian.reporting.models import FormDefinition

from .services import user_for_key


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_key(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(title="随迁子女就学工作平台接口", version="1", urls_namespace="api", auth=TokenAuth(),
               description="以个人令牌认证（Authorization: Bearer sq_…），权限与令牌所属账号相同。")


class Detail(Schema):
    """Every error: a message in Chinese, or the list of invalid fields of a malformed request."""

    detail: str | list[dict]


ERRORS = {401: Detail, 403: Detail, 404: Detail, 409: Detail, 422: Detail}


def responses(ok):
    return {200: ok, **ERRORS}


class UnitOut(Schema):
    code: str
    name: str
    full_name: str
    level: int
    parent_code: str | None


class FieldOut(Schema):
    code: str
    label: str
    levels: list[str]


class FormOut(Schema):
    code: str
    year: int
    title: str


class FormDetailOut(FormOut):
    fields: list[FieldOut]


class FindingOut(Schema):
    rule: str
    severity: str
    message: str
    fields: list[str]


class ReportOut(Schema):
    form: str
    unit: str
    year: int
    status: str
    status_label: str
    version: int
    values: dict[str, int | None]
    findings: list[FindingOut]
    missing: list[str]


class ValuesIn(Schema):
    values: dict[str, str | int | None]
    version: int | None = None


class ReasonIn(Schema):
    reason: str
    cell_comments: dict[str, str] = {}


class SubmitIn(Schema):
    explanations: dict[str, str] = {}
    incomplete_reason: str = ""  # required when a city's or province's roll-up leaves out units below it


class CoverageOut(Schema):
    included: int
    expected: int
    complete: bool
    text: str


class EnrollmentRowOut(Schema):
    code: str
    name: str
    numerator: int | None
    denominator: int | None
    ratio: str | None
    against_national: str
    basis: str
    coverage: CoverageOut | None  # null for a county: nothing below it


class EnrollmentTableOut(Schema):
    unit: str
    year: int
    indicator: str
    numerator_label: str
    denominator_label: str
    national_ratio: str | None
    rows: list[EnrollmentRowOut]
    total: EnrollmentRowOut


def _row_out(row) -> dict:
    return {"code": row.unit.code, "name": row.name, "numerator": row.numerator, "denominator": row.denominator,
            "ratio": None if row.ratio is None else str(row.ratio), "against_national": row.against_national_text,
            "basis": row.basis, "coverage": row.coverage.as_dict() if row.coverage else None}


def _scope(request) -> Scope:
    return Scope.of(request.user)


def _unit_out(unit) -> dict:
    return {"code": unit.code, "name": unit.name, "full_name": unit.full_name, "level": unit.level,
            "parent_code": unit.parent.code if unit.parent_id else None}


def _report_out(form, unit) -> dict:
    report = queries.report_of(form, unit)
    values = queries.current_values(form, unit)
    check = queries.check_values(form, unit, values)
    return {"form": form.code, "unit": unit.code, "year": form.year,
            "status": report.status if report else "new",
            "status_label": report.get_status_display() if report else "未填报",
            "version": report.version if report else 0, "values": values,
            "findings": [{"rule": f.rule, "severity": f.severity, "message": f.message, "fields": list(f.fields)}
                         for f in [*check.errors, *check.warnings]],
            "missing": [f.code for f in check.missing]}


def _form_unit(request, code: str, unit_code: str):
    form = get_object_or_404(FormDefinition, code=code)
    return form, _scope(request).get_unit(unit_code, form.year)


def _run(action):
    """Map domain errors to HTTP: not allowed → 403, bad input → 422, state conflicts → 409."""
    try:
        return action()
    except services.NotAllowed as e:
        raise HttpError(403, str(e)) from e
    except (services.InputErrors, services.RulesFailed, services.ImportFailed) as e:
        raise HttpError(422, str(e)) from e
    except services.ReportError as e:
        raise HttpError(409, str(e)) from e


@api.get("/units", response=responses(list[UnitOut]), summary="可见的单位")
def list_units(request, parent: str | None = None):
    scope = _scope(request)
    units = scope.units().current().select_related("parent")
    if parent:
        units = units.filter(parent=scope.get_unit(parent))
    return [_unit_out(u) for u in units]


@api.get("/units/{code}", response=responses(UnitOut), summary="单位")
def get_unit(request, code: str):
    return _unit_out(_scope(request).get_unit(code))


@api.get("/forms", response=responses(list[FormOut]), summary="表单")
def list_forms(request):
    return [{"code": f.code, "year": f.year, "title": f.title} for f in FormDefinition.objects.all()]


@api.get("/forms/{code}", response=responses(FormDetailOut), summary="表单定义")
def get_form(request, code: str):
    form = get_object_or_404(FormDefinition, code=code)
    return {"code": form.code, "year": form.year, "title": form.title,
            "fields": [{"code": f.code, "label": f.label, "levels": list(f.levels)} for f in form.parsed.fields]}


@api.get("/forms/{code}/reports/{unit_code}", response=responses(ReportOut), summary="单位的填报：数值、状态、校验结果")
def get_report(request, code: str, unit_code: str):
    form, unit = _form_unit(request, code, unit_code)
    return _report_out(form, unit)


@api.put("/forms/{code}/reports/{unit_code}/values", response=responses(ReportOut),
         summary="保存数值（草稿）")
def put_values(request, code: str, unit_code: str, body: ValuesIn):
    form, unit = _form_unit(request, code, unit_code)
    raw = {k: "" if v is None else str(v) for k, v in body.values.items()}
    _run(lambda: services.save_values(_scope(request), request.user, form, unit, raw,
                                      expected_version=body.version))
    return _report_out(form, unit)


def _transition(request, code, unit_code, action):
    form, unit = _form_unit(request, code, unit_code)
    report = queries.report_of(form, unit)
    if report is None:
        raise HttpError(409, "该表尚未填写")
    _run(lambda: action(_scope(request), request.user, report))
    return _report_out(form, unit)


TRANSITION_RESPONSES = responses(ReportOut)


@api.post("/forms/{code}/reports/{unit_code}/submit", response=TRANSITION_RESPONSES, summary="上报")
def submit(request, code: str, unit_code: str, body: SubmitIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.submit_report(s, u, r, body.explanations,
                                                              incomplete_reason=body.incomplete_reason))


@api.post("/forms/{code}/reports/{unit_code}/approve", response=TRANSITION_RESPONSES, summary="审核通过")
def approve(request, code: str, unit_code: str):
    return _transition(request, code, unit_code, services.approve_report)


@api.post("/forms/{code}/reports/{unit_code}/return", response=TRANSITION_RESPONSES, summary="退回")
def return_(request, code: str, unit_code: str, body: ReasonIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.return_report(s, u, r, body.reason, body.cell_comments))


@api.post("/forms/{code}/reports/{unit_code}/unlock", response=TRANSITION_RESPONSES, summary="解锁")
def unlock(request, code: str, unit_code: str, body: ReasonIn):
    return _transition(request, code, unit_code,
                       lambda s, u, r: services.unlock_report(s, u, r, body.reason))


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "不存在或不在权限范围内"}, status=404)


@api.get("/stats/enrollment", response=responses(EnrollmentTableOut), summary="附件1：下级单位比例排名（含纳入情况）")
def enrollment_table(request, unit: str, year: int = Query(..., ge=queries.FIRST_YEAR, le=queries.LAST_YEAR)):
    scope = _scope(request)
    table = queries.indicator_table(scope, scope.get_unit(unit, year), year)
    ind = table.indicator
    return {"unit": table.parent.code, "year": year, "indicator": ind.label if ind else "",
            "numerator_label": ind.numerator_label if ind else "", "denominator_label": ind.denominator_label if ind else "",
            "national_ratio": str(table.national_ratio.ratio) if table.national_ratio else None,
            "rows": [_row_out(r) for r in table.rows], "total": _row_out(table.total)}
