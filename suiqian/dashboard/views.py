import json
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import refuse, table_download
from suiqian.notices.queries import dashboard_completeness
from suiqian.reporting.queries import YearError, requested_year, years_with_data
from suiqian.reporting.rankings import indicator_table

from .queries import dashboard_data, trend_table


def _unit_and_year(request, scope: Scope) -> tuple[Division, int]:
    year = requested_year(scope, request.GET.get("year"))
    code = request.GET.get("unit") or scope.default_unit().code
    return scope.get_unit(code, year), year


def _refusing_bad_years(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except YearError as e:
            return refuse(request, str(e))
    return wrapper


@login_required
@_refusing_bad_years
def dashboard(request):
    scope = Scope.of(request.user)
    unit, year = _unit_and_year(request, scope)
    data = dashboard_data(scope, unit, year)
    years = years_with_data(scope)
    return render(request, "dashboard/dashboard.html", {
        "unit": unit, "year": year, "years": sorted(set(years) | {year}, reverse=True),
        "year_has_data": year in years, "data": data, "headline": data["headline"],
        "parent": unit.parent if data["unit"]["parent"] else None,
        "has_children": unit.level != Division.Level.COUNTY,
        "province_code": unit.province_code or "",
        "completeness": dashboard_completeness(scope, unit)})


@login_required
@_refusing_bad_years
def dashboard_json(request):
    scope = Scope.of(request.user)
    unit, year = _unit_and_year(request, scope)
    return JsonResponse(dashboard_data(scope, unit, year), json_dumps_params={"ensure_ascii": False})


@login_required
@_refusing_bad_years
def ranking_xlsx(request):
    scope = Scope.of(request.user)
    unit, year = _unit_and_year(request, scope)
    if unit.level == Division.Level.COUNTY:
        raise Http404("县级单位没有下级排名")
    return table_download(indicator_table(scope, unit, year).as_table(), "xlsx")


@login_required
@_refusing_bad_years
def trend_xlsx(request):
    scope = Scope.of(request.user)
    unit, _ = _unit_and_year(request, scope)
    return table_download(trend_table(scope, unit), "xlsx")


@login_required
def map_file(request, code):
    """The province's map (replaceable: SUIQIAN_MAP_DIR), cut to the polygons the user may see."""
    if not code.isdigit() or len(code) != 6:
        raise Http404
    path = Path(settings.MAP_DIR) / f"{code}.geojson"
    if not path.exists():
        raise Http404("没有该省的地图文件")
    visible = set(Scope.of(request.user).units().values_list("code", flat=True))
    features = [f for f in load_map(path, path.stat().st_mtime)["features"] if f["properties"]["code"] in visible]
    return JsonResponse({"type": "FeatureCollection", "features": features},
                        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


@lru_cache(maxsize=4)
def load_map(path: Path, mtime: float) -> dict:
    # mtime in the key: a replaced map file is read again without a restart.
    return json.loads(path.read_text(encoding="utf-8"))
