"""Pages of one unit's delivery of one requirement: upload, review, a scan's pages, and on 实施细则 the
reviewers' feedback and the counties of a city side by side."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.policies import ocr
from suiqian.policies.services import FeedbackError

from . import documents, enrollment_rules, queries, services
from .models import DocumentSubmission, Requirement

# The page image beside the recognised text: enough to read, far less than the 300 dpi the OCR reads.
SCAN_DISPLAY_PIXELS = 1600


def _requirement_and_unit(request, requirement_id, unit_code):
    scope = Scope.of(request.user)
    requirement = get_object_or_404(Requirement.objects.select_related("notice", "form"), pk=requirement_id)
    unit = scope.get_unit(unit_code)
    queries.get_notice(scope, requirement.notice_id)
    if not queries.is_expected(requirement, unit):
        raise Http404("该单位不是该事项的报送单位")
    return scope, requirement, unit


@login_required
def submission_page(request, requirement_id, unit_code):
    scope, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    if requirement.kind == Requirement.Kind.FORM:
        return redirect("form_page", requirement.form.code, unit.code)
    versions = list(DocumentSubmission.objects.filter(requirement=requirement, unit=unit)
                    .select_related("submitted_by", "decided_by").order_by("-version"))
    latest = versions[0] if versions else None
    row = next((r for r in queries.board(requirement) if r.unit.pk == unit.pk), None)
    is_package = (requirement.document_type == Requirement.DocumentType.ENROLLMENT_RULES
                  and Requirement.objects.filter(parent=requirement, notice__issuer=unit).exists())
    return render(request, "notices/submission.html", {
        "requirement": requirement, "unit": unit, "versions": versions, "latest": latest, "row": row,
        "may_upload": scope.may_fill(unit) and not (latest and latest.status == "approved"),
        "may_review": scope.may_review(unit) and latest is not None and latest.status == "submitted",
        "package": enrollment_rules.package(requirement, unit) if is_package else None,
        "highlighted": enrollment_rules.highlighted(latest) if latest else None,
        "scan_pages": enrollment_rules.scan_pages(latest) if latest and latest.recognized_pages else None})


def _submission_action(request, requirement_id, unit_code, action):
    scope, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    try:
        messages.success(request, action(scope, requirement, unit))
    except Refused:
        raise
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("submission_page", requirement.pk, unit.code)


@login_required
@require_POST
def submission_upload(request, requirement_id, unit_code):
    def upload(scope, requirement, unit):
        services.require_submitter(scope, unit)  # who may, before what was sent
        f = request.FILES.get("file")
        if f is None:
            raise services.NoticeError("请选择要上传的文件")
        s = documents.submit_document(scope, request.user, requirement, unit, f, f.name, request.POST.get("note", ""))
        return f"已报送第 {s.version} 版"
    return _submission_action(request, requirement_id, unit_code, upload)


@login_required
@require_POST
def submission_package(request, requirement_id, unit_code):
    def package(scope, requirement, unit):
        s = documents.submit_enrollment_rules_package(scope, request.user, requirement, unit)
        return f"已上报实施细则汇总（第 {s.version} 版）"
    return _submission_action(request, requirement_id, unit_code, package)


@login_required
@require_POST
def submission_review(request, requirement_id, unit_code):
    def review(scope, requirement, unit):
        latest = DocumentSubmission.objects.filter(requirement=requirement, unit=unit).order_by("-version").first()
        if latest is None:
            raise services.NoticeError("尚无报送的材料")
        approve = request.POST.get("decision") == "approve"
        documents.review_document(scope, request.user, latest, approve=approve, reason=request.POST.get("reason", ""))
        return "已审核通过" if approve else "已退回"
    return _submission_action(request, requirement_id, unit_code, review)


@login_required
def submission_download(request, pk):
    submission = _visible_submission(request, pk)
    return FileResponse(submission.file.open("rb"), as_attachment=True, filename=submission.filename)


def _visible_submission(request, pk) -> DocumentSubmission:
    scope = Scope.of(request.user)
    submission = get_object_or_404(DocumentSubmission.objects.select_related("unit", "requirement__notice"), pk=pk)
    if not scope.sees(submission.unit):  # the unit itself and every unit above it
        raise Http404
    return submission


@login_required
def submission_scan_page(request, pk, number):
    """One page of a scanned submission as a PNG, for the review page beside the text read from it."""
    submission = _visible_submission(request, pk)
    if submission.content_type not in ("pdf", "jpg", "png") or not submission.recognized_pages:
        raise Http404
    with submission.file.open("rb") as f:
        data = f.read()
    try:
        image = ocr.page_image(data, submission.content_type, number, long_side=SCAN_DISPLAY_PIXELS)
    except ocr.RecognitionError as e:
        raise Http404 from e
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return HttpResponse(out.getvalue(), content_type="image/png")


@login_required
def submission_recognition(request, pk):
    """The recognition status of a scan, polled by the review page until it ends."""
    submission = _visible_submission(request, pk)
    if submission.recognition != DocumentSubmission.Recognition.PENDING:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the whole page, now with the text and the findings
        return response
    return render(request, "notices/_recognition_progress.html", {"latest": submission})


@login_required
def submission_check_progress(request, pk):
    """Polled by the page while a large document is checked in the background."""
    submission = _visible_submission(request, pk)
    return render(request, "notices/_check_progress.html", {"submission": submission})


@login_required
def consistency(request, code):
    scope = Scope.of(request.user)
    city = scope.get_unit(code)
    if city.level != Division.Level.CITY:
        raise Http404("请选择一个地级市")
    return render(request, "policies/consistency.html", {"result": enrollment_rules.city_consistency(scope, city)})


@login_required
@require_POST
def feedback_add(request, submission_id):
    scope = Scope.of(request.user)
    submission = get_object_or_404(DocumentSubmission.objects.select_related("unit", "requirement"),
                                   pk=submission_id)
    if not scope.sees(submission.unit):
        raise Http404
    try:
        documents.record_feedback(scope, request.user, submission, kind=request.POST.get("kind", ""),
                                 code=request.POST.get("code", ""), sentence=request.POST.get("sentence", ""),
                                 paragraph=_paragraph(request.POST.get("paragraph")),
                                 note=request.POST.get("note", ""))
        messages.success(request, "已记录审查反馈，将用于改进自动审查")
    except Refused:
        raise
    except FeedbackError as e:
        messages.error(request, str(e))
    return redirect("submission_page", submission.requirement_id, submission.unit.code)


def _paragraph(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 7 else None
