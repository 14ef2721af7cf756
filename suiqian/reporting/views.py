from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division

from .queries import enrollment_table as build_enrollment_table
from .queries import years_with_data

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int_or_none(value):
    return int(value) if value and value.isdigit() else None


@login_required
def enrollment_table(request):
    scope = Scope.of(request.user)
    years = years_with_data(scope) or [2020]
    year = _int_or_none(request.GET.get("year")) or years[0]
    default_code = scope.unit.code if not scope.is_system else "140000"
    unit = scope.get_unit(request.GET.get("unit") or default_code, year)
    table = build_enrollment_table(scope, unit, year)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        filename = f"{table.title}.{fmt}"
        if fmt == "csv":
            response = HttpResponse(table.as_table().to_csv(bom=True), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(table.as_table().to_xlsx(), content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
    parents = scope.units().existing_in(year).filter(level__lt=Division.Level.COUNTY)
    return render(request, "reporting/enrollment_table.html",
                  {"table": table, "years": years, "parents": parents})
