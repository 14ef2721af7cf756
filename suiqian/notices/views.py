import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import table_download
from suiqian.policies import ocr

from . import forms, queries, services
from .models import DocumentSubmission, ExtensionRequest, NoticeAttachment, Requirement

# The page image beside the recognised text: enough to read, far less than the 300 dpi the OCR reads.
SCAN_DISPLAY_PIXELS = 1600

@login_required
def notice_list(request):
    scope = Scope.of(request.user)
    text = request.GET.get("q", "").strip()[:100]
    return render(request, "notices/list.html", {
        "q": text,
        "inbox": Paginator(queries.search_inbox(scope, text), queries.PAGE_SIZE).get_page(request.GET.get("inbox_page")),
        "issued": Paginator(queries.search_issued(scope, text), queries.PAGE_SIZE).get_page(request.GET.get("issued_page")),
        "messages_unread": queries.unread_messages(scope)[:20],
        "may_issue": scope.unit is not None and scope.may_issue(scope.unit)})


def _notice_form_context(request, scope, children, **extra):
    return {"children": children, "kinds": forms.requirement_kinds(), "contact_rows": range(3),
            "rows": range(forms.MAX_REQUIREMENT_ROWS), **extra}


def _save_notice(request, scope, children, save):
    """Shared by 发布新通知 and editing a draft: on a refusal the page comes back with everything typed."""
    chosen = set(request.POST.getlist("targets"))
    try:
        notice = save(targets=[c for c in children if c.code in chosen],
                      contacts=forms.parse_contacts(request.POST), requirements=forms.parse_requirements(request.POST),
                      attachments=forms.read_attachments(request.FILES))
        if request.POST.get("publish"):
            services.publish_notice(scope, request.user, notice)
            messages.success(request, "通知已发布")
        else:
            messages.success(request, "已保存为草稿")
        return redirect("notice_detail", notice.pk)
    except services.NoticeError as e:
        return str(e)


@login_required
def notice_new(request):
    scope = Scope.of(request.user)
    if scope.is_system or not scope.may_issue(scope.unit):
        raise PermissionDenied("只有本单位的管理员或审核员可以发文")
    children = list(scope.units().current().filter(parent=scope.unit))
    initial = forms.initial_from_post(request.POST) if request.method == "POST" else forms.blank_initial(children)
    context = _notice_form_context(request, scope, children, initial=initial)
    if request.method == "POST":
        def create(**kw):
            return services.create_notice(scope, request.user, scope.unit, wenhao=request.POST.get("wenhao", ""),
                                          title=request.POST.get("title", ""), body=request.POST.get("body", ""), **kw)
        outcome = _save_notice(request, scope, children, create)
        if not isinstance(outcome, str):
            return outcome
        return render(request, "notices/new.html", {**context, "error": outcome}, status=400)
    return render(request, "notices/new.html", context)


@login_required
def notice_edit(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    if not scope.may_issue(notice.issuer):
        raise PermissionDenied("只有发文单位的管理员或审核员可以修改")
    if notice.status != notice.Status.DRAFT:
        messages.error(request, "只有草稿可以修改；已发布的通知请更正或撤回")
        return redirect("notice_detail", pk)
    children = list(Division.objects.current().filter(parent=notice.issuer))
    initial = forms.initial_from_post(request.POST) if request.method == "POST" else forms.initial_from_notice(notice)
    context = _notice_form_context(request, scope, children, initial=initial, notice=notice)
    if request.method == "POST":
        def update(attachments, **kw):
            removed = [int(v) for v in request.POST.getlist("remove_attachment") if v.isdigit()]
            return services.update_draft(scope, request.user, notice, wenhao=request.POST.get("wenhao", ""),
                                         title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                         attachments=attachments, remove_attachments=removed, **kw)
        outcome = _save_notice(request, scope, children, update)
        if not isinstance(outcome, str):
            return outcome
        return render(request, "notices/new.html", {**context, "error": outcome}, status=400)
    return render(request, "notices/new.html", context)


def _due_rows(requirements, post):
    """Each requirement with the date to show: what was typed, if anything was, else its due date."""
    return [(r, post.get(f"due-{r.pk}") or r.due_date.isoformat()) for r in requirements]


@login_required
def notice_correct(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    if not scope.may_issue(notice.issuer):
        raise PermissionDenied("只有发文单位的管理员或审核员可以更正")
    requirements = list(notice.requirements.all())
    context = {"notice": notice, "due_rows": _due_rows(requirements, request.POST), "post": request.POST}
    if request.method == "POST":
        try:
            due = {r.pk: forms.parse_date(request.POST.get(f"due-{r.pk}"), f"事项“{r.title}”")
                   for r in requirements if request.POST.get(f"due-{r.pk}")}
            services.correct_notice(scope, request.user, notice, note=request.POST.get("note", ""),
                                    title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                    due_dates=due)
            messages.success(request, "已更正，接收单位会看到更正说明和修改内容")
            return redirect("notice_detail", pk)
        except services.NoticeError as e:
            return render(request, "notices/correct.html", {**context, "error": str(e)}, status=400)
    return render(request, "notices/correct.html", context)


@login_required
@require_POST
def notice_withdraw(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    try:
        services.withdraw_notice(scope, request.user, notice, request.POST.get("reason", ""))
        messages.success(request, "通知已撤回，接收单位已收到消息")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", pk)


@login_required
def notice_detail(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    services.mark_read(scope, request.user, notice)
    own = scope.unit
    mine = []
    if own is not None and notice.targets.filter(unit=own).exists():
        mine = [next(iter(queries.board(r, scope=scope)), None) for r in queries.requirements_for(notice, own)]
        mine = [m for m in mine if m and m.unit.pk == own.pk]
    is_issuer_side = scope.sees(notice.issuer)
    may_forward = (own is not None and notice.status == notice.Status.PUBLISHED and scope.may_issue(own)
                   and notice.targets.filter(unit=own).exists() and own.children.exists()
                   and not notice.forwards.filter(issuer=own).exists())
    return render(request, "notices/detail.html", {
        "notice": notice, "mine": mine, "board": queries.completeness(notice, scope=scope) if is_issuer_side else [],
        "is_issuer": scope.may_issue(notice.issuer), "may_forward": may_forward,
        "my_forward": notice.forwards.filter(issuer=own).first() if own else None,
        "may_ask_extension": own is not None and notice.status == notice.Status.PUBLISHED and scope.may_fill(own),
        "extension_requests": queries.extension_requests(notice, scope),
        "corrections": notice.corrections.select_related("made_by"),
        "read_receipts": notice.targets.select_related("unit", "read_by") if is_issuer_side else []})


@login_required
@require_POST
def notice_publish(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    try:
        services.publish_notice(scope, request.user, notice)
        messages.success(request, "通知已发布")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", pk)


@login_required
def notice_forward(request, pk):
    scope = Scope.of(request.user)
    parent = queries.get_notice(scope, pk)
    own = scope.unit
    if own is None or not scope.may_issue(own):
        raise PermissionDenied("只有本单位的管理员或审核员可以转发")
    requirements = queries.requirements_for(parent, own)
    children = list(Division.objects.current().filter(parent=own))
    # The page marks that it sent a choice; a post without one (a script, an old page) means every county.
    picked = request.method == "POST" and "targets_chosen" in request.POST
    chosen = set(request.POST.getlist("targets")) if picked else {c.code for c in children}
    context = {"parent": parent, "requirements": requirements, "contact_rows": range(3), "post": request.POST,
               "children": children, "chosen": chosen, "contacts": forms.contacts_initial(request.POST),
               "due_rows": _due_rows(requirements, request.POST),
               "default_title": f"关于转发{parent.issuer.bureau_name}《{parent.title}》的通知"
               if parent.issuer.level <= Division.Level.PROVINCE else f"关于转发《{parent.title}》的通知"}
    if request.method == "POST":
        try:
            due = {r.pk: forms.parse_date(request.POST.get(f"due-{r.pk}"), f"事项“{r.title}”")
                   for r in requirements}
            notice = services.forward_notice(
                scope, request.user, parent, own, wenhao=request.POST.get("wenhao", ""),
                title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                contacts=forms.parse_contacts(request.POST), due_dates=due,
                targets=[c for c in children if c.code in chosen])
            messages.success(request, "已转发给下级单位")
            return redirect("notice_detail", notice.pk)
        except services.NoticeError as e:
            context["error"] = str(e)
            return render(request, "notices/forward.html", context, status=400)
    return render(request, "notices/forward.html", context)


@login_required
def notice_status_export(request, pk):
    scope = Scope.of(request.user)
    notice = queries.get_notice(scope, pk)
    if not scope.sees(notice.issuer):
        raise Http404
    return table_download(queries.status_table(notice, scope=scope), "xlsx")


@login_required
@require_POST
def grant_extension(request, requirement_id):
    scope = Scope.of(request.user)
    requirement = get_object_or_404(Requirement, pk=requirement_id)
    queries.get_notice(scope, requirement.notice_id)
    try:
        unit = scope.get_unit(request.POST.get("unit", ""))
        day = forms.parse_date(request.POST.get("due_date"), "延期日期")
        services.grant_extension(scope, request.user, requirement, unit, day, request.POST.get("reason", ""))
        messages.success(request, f"已为{unit.name}延期至 {day}")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", requirement.notice_id)


@login_required
@require_POST
def extension_request(request, requirement_id):
    scope = Scope.of(request.user)
    requirement = get_object_or_404(Requirement.objects.select_related("notice"), pk=requirement_id)
    queries.get_notice(scope, requirement.notice_id)
    if scope.unit is None or not queries.is_expected(requirement, scope.unit):
        raise Http404("该事项不要求本单位报送")
    try:
        day = forms.parse_date(request.POST.get("due_date"), "申请延期的日期")
        services.request_extension(scope, request.user, requirement, scope.unit, day, request.POST.get("reason", ""))
        messages.success(request, "延期申请已提交，等待发文单位处理")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", requirement.notice_id)


@login_required
@require_POST
def extension_decide(request, pk):
    scope = Scope.of(request.user)
    ask = get_object_or_404(ExtensionRequest.objects.select_related("requirement__notice", "unit"), pk=pk)
    queries.get_notice(scope, ask.requirement.notice_id)
    try:
        grant = request.POST.get("decision") == "grant"
        services.decide_extension_request(scope, request.user, ask, grant=grant, note=request.POST.get("note", ""))
        messages.success(request, f"已{'同意' if grant else '不同意'}{ask.unit.name}的延期申请")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", ask.requirement.notice_id)


# --- one unit's delivery of one requirement -------------------------------------------------

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
        "package": queries.rules_package(requirement, unit) if is_package else None,
        "highlighted": queries.highlighted(latest) if latest else None,
        "scan_pages": queries.scan_pages(latest) if latest and latest.recognized_pages else None})


def _submission_action(request, requirement_id, unit_code, action):
    scope, requirement, unit = _requirement_and_unit(request, requirement_id, unit_code)
    try:
        messages.success(request, action(scope, requirement, unit))
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
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
        if f.size > forms.MAX_ATTACHMENT_BYTES:
            raise services.NoticeError("文件超过 20 MB")
        s = services.submit_document(scope, request.user, requirement, unit, f.read(), f.name,
                                     request.POST.get("note", ""))
        return f"已报送第 {s.version} 版"
    return _submission_action(request, requirement_id, unit_code, upload)


@login_required
@require_POST
def submission_package(request, requirement_id, unit_code):
    def package(scope, requirement, unit):
        s = services.submit_rules_package(scope, request.user, requirement, unit)
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
        services.review_document(scope, request.user, latest, approve=approve, reason=request.POST.get("reason", ""))
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
    scope = Scope.of(request.user)
    submission = get_object_or_404(DocumentSubmission.objects.select_related("unit"), pk=pk)
    if not scope.sees(submission.unit):
        raise Http404
    return render(request, "notices/_check_progress.html", {"submission": submission})


@login_required
def attachment_download(request, pk):
    scope = Scope.of(request.user)
    attachment = get_object_or_404(NoticeAttachment, pk=pk)
    queries.get_notice(scope, attachment.notice_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
