"""Pages of the rosters app (thin: scope, then a service or a query, then a template).

Every unit, job and case is looked up through the Scope: one outside it is a 404.
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.lib.http import CSV, download

from . import cases, detection, exports, jobs, queries
from .errors import RosterError
from .models import CaseStatus, ImportJob
from .terms import Term, TermError

def _term(request, default: Term) -> Term:
    try:
        return Term.parse(request.GET.get("term") or request.POST.get("term") or default.code)
    except TermError:
        return default


def _scope_and_unit(request, code):
    scope = Scope.of(request.user)
    return scope, scope.get_unit(code)


@login_required
def home(request):
    scope = Scope.of(request.user)
    return redirect("roster_unit", scope.default_unit().code)


@login_required
def unit_page(request, code):
    scope, unit = _scope_and_unit(request, code)
    term = _term(request, queries.default_term(scope))
    recent = list(queries.jobs_of(scope, unit)[:20])
    return render(request, "rosters/unit.html", {
        "unit": unit, "term": term, "terms": queries.term_choices(scope, term),
        "on_error_choices": ImportJob.OnError.choices,
        "counties": queries.county_rosters(scope, unit, term), "jobs": recent,
        "openable": {j.pk for j in recent if j.unit is None and scope.is_system or j.unit and scope.sees(j.unit)},
        "may_import": scope.may_import(unit), "max_upload_mb": jobs.MAX_UPLOAD_BYTES // 2**20,
    })


@login_required
@require_POST
def upload(request, code):
    scope, unit = _scope_and_unit(request, code)
    if not scope.may_import(unit):
        raise Refused("只有本单位的填报员可以导入名册")
    try:
        # Before anything touches request.FILES: Django would read an oversized upload to disk first.
        jobs.refuse_oversized(int(request.META.get("CONTENT_LENGTH") or 0))
        job = jobs.start_import(scope, request.user, unit, request.POST.get("term", ""),
                                request.POST.get("on_error", ""), request.FILES.get("file"))
    except Refused:
        raise
    except RosterError as e:
        messages.error(request, str(e))
        return redirect("roster_unit", unit.code)
    return redirect("roster_job", job.pk)


@login_required
def job_page(request, pk):
    scope = Scope.of(request.user)
    job = queries.job_for(scope, pk)
    return render(request, "rosters/job.html", {"job": job})


@login_required
def job_progress(request, pk):
    """The progress box alone, polled by HTMX every second until the job has finished."""
    scope = Scope.of(request.user)
    return render(request, "rosters/_job_progress.html", {"job": queries.job_for(scope, pk)})


@login_required
@require_POST
def job_decide(request, pk, decision):
    """The uploader confirms (or cancels) an import that replaces other units' rosters."""
    scope = Scope.of(request.user)
    job = queries.job_for(scope, pk)
    act = jobs.confirm_import if decision == "confirm" else jobs.cancel_import
    try:
        act(scope, request.user, job)
    except Refused:
        raise
    except RosterError as e:
        messages.error(request, str(e))
        return redirect("roster_job", job.pk)
    return redirect("roster_job", job.pk)


@login_required
@require_POST
def detect(request, code):
    """开始比对: a comparison of the term with the one before, as a background task."""
    scope, unit = _scope_and_unit(request, code)
    if not scope.may_detect(unit):
        raise Refused("只有本单位的填报员可以开始比对")
    try:
        run = detection.start_detection(scope, request.user, unit, request.POST.get("term", ""))
    except RosterError as e:
        messages.error(request, str(e))
        return redirect("roster_cases", unit.code)
    return redirect("roster_detection", run.pk)


@login_required
def detection_page(request, pk):
    scope = Scope.of(request.user)
    run = queries.detection_for(scope, pk)
    return render(request, "rosters/detection.html", {"run": run, "unit": run.unit})


@login_required
def detection_progress(request, pk):
    scope = Scope.of(request.user)
    run = queries.detection_for(scope, pk)
    return render(request, "rosters/_detection_progress.html", {"run": run, "unit": run.unit})


@login_required
def bad_rows(request, pk):
    scope = Scope.of(request.user)
    job = queries.job_for(scope, pk)
    path = Path(settings.MEDIA_ROOT) / job.bad_rows_file
    if not job.bad_rows_file or not path.exists():
        messages.error(request, "没有错误行清单")
        return redirect("roster_job", job.pk)
    try:
        exports.record_export(scope, request.user, job.unit, Term.parse(job.term), "bad_rows", job.rows_bad)
    except Refused:
        raise
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"错误行-{job.filename}.csv",
                        content_type=CSV)


@login_required
def summary(request, code):
    scope, unit = _scope_and_unit(request, code)
    term = _term(request, queries.default_term(scope))
    return render(request, "rosters/summary.html", {
        "unit": unit, "term": term, "terms": queries.term_choices(scope, term),
        "comparison": queries.compare_with_summary(scope, unit, term),
    })


@login_required
def case_list(request, code):
    scope, unit = _scope_and_unit(request, code)
    # The search is posted, never put in the address: a name or ID typed here must not reach any access log.
    params = request.POST if request.method == "POST" else request.GET
    term = _term(request, queries.default_term(scope))
    status = params.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    text = request.POST.get("q", "").strip()[:50]
    found = queries.cases(scope, term=term, unit=unit, status=status, text=text)
    by_status = queries.case_counts_by_status(scope, term, unit)
    if params.get("format") == "csv":
        table = queries.cases_table(scope, term, found)
        try:
            exports.record_export(scope, request.user, unit, term, "cases", len(table.rows))
        except Refused:
            raise
        return download(table.to_csv(bom=True), f"{unit.name}{table.title}.csv", CSV)
    return render(request, "rosters/cases.html", {
        "unit": unit, "term": term, "terms": queries.term_choices(scope, term), "status": status, "q": text,
        "statuses": [(value, label, by_status.get(value, 0)) for value, label in CaseStatus.choices],
        "cases": found[:500], "total": found.count(), "missing": queries.missing_rosters(scope, term, unit),
        "detection": queries.latest_detection(term), "transfers": queries.visible_transfers(scope, term).count(),
        "active_detection": queries.active_detection(term), "may_detect": scope.may_detect(unit),
        "may_export": scope.may_export_personal(unit),
    })


@login_required
def case_page(request, pk, status=200, error=""):
    scope = Scope.of(request.user)
    case = queries.case_for(scope, pk)
    return render(request, "rosters/case.html", {
        "case": case, "events": case.events.select_related("user"), "may_follow_up": scope.may_follow_up(case),
        "choices": cases.allowed_statuses(case), "today": timezone.localdate(), "error": error,
    }, status=status)


@login_required
@require_POST
def case_status(request, pk):
    scope = Scope.of(request.user)
    case = queries.case_for(scope, pk)
    try:
        happened_on = dt.date.fromisoformat(request.POST["happened_on"]) if request.POST.get("happened_on") else None
    except ValueError:
        return case_page(request, pk, status=400, error="日期格式不对")
    try:
        cases.change_case_status(scope, request.user, case, request.POST.get("status", ""),
                                    request.POST.get("note", ""), happened_on)
    except Refused:
        raise
    except RosterError as e:
        return case_page(request, pk, status=400, error=str(e))
    messages.success(request, "已记录")
    return redirect("roster_case", case.pk)
