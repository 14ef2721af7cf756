import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import refuse, table_download
from suiqian.lib.params import parse_year
from suiqian.reporting.queries import YearError, requested_year, years_with_data

from . import queries, services
from .models import Inspection, Sanction


def _year(request, scope) -> int:
    return requested_year(scope, request.GET.get("year"))


def _date(text: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError as e:
        raise services.SupervisionError(f"{label}的格式应为 年-月-日") from e


@login_required
def overview(request):
    scope = Scope.of(request.user)
    try:
        year = _year(request, scope)
    except YearError as e:
        return refuse(request, str(e))
    reason, city_code = request.GET.get("reason", ""), request.GET.get("city", "")
    if reason and reason not in queries.REASONS:
        return refuse(request, f"预警原因“{reason[:20]}”无效：可选 {'、'.join(queries.REASONS)}")
    cities = scope.units().existing_in(year).filter(level=Division.Level.CITY).order_by("code")
    city = cities.filter(code=city_code).first() if city_code else None
    if city_code and city is None:
        return refuse(request, f"市“{city_code[:20]}”不存在或不在权限范围内")
    warnings = queries.early_warnings(scope, year, reason=reason, city=city_code)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        table = queries.warnings_table(year, warnings, reason=reason, city_name=city.name if city else "")
        return table_download(table, fmt)
    return render(request, "supervision/overview.html", {
        "year": year, "years": sorted(set(years_with_data(scope)) | queries.key_listing_years(scope) | {year}, reverse=True),
        "warnings": warnings, "reasons": queries.REASONS, "reason": reason, "cities": cities, "city": city,
        "key_counties": queries.key_counties(scope, year),
        "inspections": queries.inspections(scope)[:50], "rankings": queries.published_rankings(scope)[:20],
        "targets": scope.units().current().exclude(pk=getattr(scope.unit, "pk", None)).order_by("code")})


def _act(request, action, redirect_to):
    try:
        messages.success(request, action())
    except Refused:
        raise
    except services.SupervisionError as e:
        messages.error(request, str(e))
    return redirect(*redirect_to)


@login_required
@require_POST
def note_add(request, code):
    scope = Scope.of(request.user)
    unit = scope.get_unit(code)

    def add():
        services.add_progress_note(scope, request.user, unit, parse_year(request.POST.get("year")),
                                   request.POST.get("text", ""))
        return "已记录工作进展"
    return _act(request, add, ("supervision",))


@login_required
@require_POST
def inspection_new(request):
    scope = Scope.of(request.user)

    def create():
        unit = scope.get_unit(request.POST.get("unit", ""))
        due = request.POST.get("rectification_due")
        inspection = services.create_inspection(
            scope, request.user, unit, plan=request.POST.get("plan", ""),
            date=_date(request.POST.get("date"), "检查日期"), findings=request.POST.get("findings", ""),
            rectification=request.POST.get("rectification", ""),
            rectification_due=_date(due, "整改期限") if due else None)
        return f"已登记对{inspection.unit.name}的检查"
    return _act(request, create, ("supervision",))


@login_required
def inspection_detail(request, pk):
    scope = Scope.of(request.user)
    inspection = get_object_or_404(queries.inspections(scope), pk=pk)
    return render(request, "supervision/inspection.html", {
        "inspection": inspection, "statuses": Inspection.Status.choices, "kinds": Sanction.Kind.choices,
        "may_act": scope.may_change_inspection(inspection)})


@login_required
@require_POST
def inspection_update(request, pk):
    scope = Scope.of(request.user)
    inspection = get_object_or_404(queries.inspections(scope), pk=pk)

    def update():
        due = request.POST.get("rectification_due")
        services.update_inspection(scope, request.user, inspection, status=request.POST.get("status", ""),
                                   findings=request.POST.get("findings"), rectification=request.POST.get("rectification"),
                                   rectification_due=_date(due, "整改期限") if due else None)
        return "已更新"
    return _act(request, update, ("inspection_detail", pk))


@login_required
@require_POST
def sanction_add(request, pk):
    scope = Scope.of(request.user)
    inspection = get_object_or_404(queries.inspections(scope), pk=pk)

    def add():
        s = services.record_sanction(scope, request.user, inspection, kind=request.POST.get("kind", ""),
                                     date=_date(request.POST.get("date"), "日期"), text=request.POST.get("text", ""))
        return f"已记录{s.get_kind_display()}"
    return _act(request, add, ("inspection_detail", pk))


@login_required
@require_POST
def ranking_publish(request):
    scope = Scope.of(request.user)

    def publish():
        unit = scope.get_unit(request.POST.get("unit", ""))
        ranking = services.publish_ranking(scope, request.user, unit, parse_year(request.POST.get("year")))
        return f"已发布《{ranking.title}》"
    return _act(request, publish, ("supervision",))


@login_required
def ranking_detail(request, pk):
    scope = Scope.of(request.user)
    ranking = get_object_or_404(queries.published_rankings(scope), pk=pk)
    return render(request, "supervision/ranking.html",
                  {"ranking": ranking, "changes": queries.ranking_changes(scope, ranking)})
