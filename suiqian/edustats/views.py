from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import XLSX, download, table_download
from suiqian.rosters.queries import default_term
from suiqian.rosters.terms import Term, TermError

from . import queries, services
from .figures import figures
from .workbook import render_template


def _year(request) -> int:
    year = queries.year_of(request.GET.get("year") or request.POST.get("year"))
    if year is None and (request.GET.get("year") or request.POST.get("year")):
        raise Http404("年份不对")
    return year or (queries.years() or [timezone.localdate().year])[0]


def _scope_unit_year(request, code):
    scope, year = Scope.of(request.user), _year(request)
    return scope, scope.get_unit(code, year), year


@login_required
def home(request):
    scope = Scope.of(request.user)
    return redirect("edustats_unit", scope.default_unit().code)


@login_required
def unit_page(request, code, status=200, raw=None, errors=None):
    scope, unit, year = _scope_unit_year(request, code)
    may_import = scope.may_fill(unit) and unit.level in (Division.Level.CITY, Division.Level.COUNTY)
    context = {"unit": unit, "year": year, "years": sorted({year, *queries.years()}, reverse=True),
               "title": figures().title, "may_import": may_import}
    if unit.level == Division.Level.COUNTY:
        record = queries.record_of(unit, year)
        values = record.value_map() if record else {}
        rows = queries.figure_rows(values, raw, errors)
        may_fill = scope.may_fill_statistics(unit)
        context.update(record=record, rows=rows, may_fill=may_fill, may_review=scope.may_review(unit),
                       editable=may_fill and (record is None or record.is_editable),
                       history=queries.history(record) if record else [],
                       rule_errors=services.rule_errors(values) if values else [],
                       against=queries.against_form(unit, year))
    else:
        sums = queries.unit_figures(unit, year)
        context.update(lines=queries.county_lines(scope, unit, year), sums=sums,
                       rollup_rows=queries.figure_rows(sums.values))
    return render(request, "edustats/unit.html", context, status=status)


def _act(request, code, action, success):
    scope, unit, year = _scope_unit_year(request, code)
    try:
        action(scope, unit, year)
    except services.InputErrors as e:
        messages.error(request, "未保存：" + "；".join(e.errors.values()))
        return unit_page(request, code, status=400, raw=request.POST.dict(), errors=e.errors)
    except services.ImportFailed as e:
        return render(request, "edustats/import_problems.html",
                      {"unit": unit, "year": year, "problems": e.problems, "error": str(e)}, status=400)
    except services.NotAllowed as e:
        raise Refused(str(e)) from e
    except services.ReportError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, success)
    return redirect(reverse("edustats_unit", args=[unit.code]) + f"?year={year}")


def _version(request):
    text = request.POST.get("version", "")
    return int(text) if text.isdigit() else None


@login_required
@require_POST
def save(request, code):
    return _act(request, code, lambda scope, unit, year: services.save_figures(
        scope, request.user, unit, year, request.POST, expected_version=_version(request)), "已保存草稿")


@login_required
@require_POST
def submit(request, code):
    def run(scope, unit, year):
        services.submit(scope, request.user, services.record_to_fill(scope, unit, year))
    return _act(request, code, run, "已上报，等待上级审核")


@login_required
@require_POST
def approve(request, code):
    def run(scope, unit, year):
        services.approve(scope, request.user, services.record_to_review(scope, unit, year))
    return _act(request, code, run, "已审核通过，数据已锁定")


@login_required
@require_POST
def return_(request, code):
    def run(scope, unit, year):
        record = services.record_to_review(scope, unit, year)
        services.return_(scope, request.user, record, request.POST.get("reason", ""))
    return _act(request, code, run, "已退回")


@login_required
@require_POST
def unlock(request, code):
    def run(scope, unit, year):
        record = services.record_to_review(scope, unit, year)
        services.unlock(scope, request.user, record, request.POST.get("reason", ""))
    return _act(request, code, run, "已解锁并退回填报单位")


@login_required
@require_POST
def import_(request, code):
    def run(scope, unit, year):
        if not scope.may_fill(unit):  # who may, before what was sent
            raise services.NotAllowed("只有本单位的填报员可以导入")
        upload = request.FILES.get("file")
        if upload is None:
            raise services.ReportError("请选择要上传的 Excel 文件")
        saved = services.import_table(scope, request.user, year, upload, upload.name)
        messages.info(request, f"已从 {upload.name} 导入 {len(saved)} 个单位（其余与已有数据相同）")
    return _act(request, code, run, "导入完成，已保存为草稿")


@login_required
def template(request, code):
    scope, unit, year = _scope_unit_year(request, code)
    counties = [c for c in queries.counties_under(unit, year) if scope.sees(c)]
    return download(render_template(counties, year), f"{unit.name}{year}年教育事业统计导入模板.xlsx", XLSX)


@login_required
def differences(request):
    scope = Scope.of(request.user)
    year = _year(request)
    city = scope.get_unit(request.GET["city"], year) if request.GET.get("city") else None
    level = {"county": Division.Level.COUNTY, "city": Division.Level.CITY}.get(request.GET.get("level", ""))
    field = request.GET.get("field", "")
    fields = queries.compared_fields(year)
    if field not in {code for code, _ in fields}:
        field = ""
    rows = queries.differences(scope, year, city=city, field=field, level=level)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return table_download(queries.differences_table(year, rows), fmt)
    cities = scope.units().existing_in(year).filter(level=Division.Level.CITY).order_by("code")
    return render(request, "edustats/differences.html", {
        "year": year, "years": sorted({year, *queries.years()}, reverse=True), "rows": rows, "cities": cities,
        "city": city, "fields": fields, "field": field, "level": request.GET.get("level", ""),
        "units": len({d.unit.pk for d in rows}), "query": request.GET.urlencode()})


@login_required
def compare(request, code):
    scope = Scope.of(request.user)
    try:
        term = Term.parse(request.GET.get("term") or default_term(scope).code)
    except TermError as e:
        raise Http404(str(e)) from e
    unit = scope.get_unit(code, term.year)
    comparison, stats, rows = queries.three_way(scope, unit, term)
    return render(request, "edustats/compare.html", {"unit": unit, "term": term, "year": term.school_year_start,
                                                     "rows": rows, "form": comparison.form, "stats": stats,
                                                     "counts": comparison.counts})
