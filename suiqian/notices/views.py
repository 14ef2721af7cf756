
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Refused, Scope
from suiqian.divisions.models import Division
from suiqian.lib.http import table_download

from . import deadlines, forms, queries, services
from .models import ExtensionRequest, NoticeAttachment, Requirement


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
                      attachments=forms.attachments_of(request.FILES))
        if request.POST.get("publish"):
            services.publish_notice(scope, request.user, notice)
            messages.success(request, "通知已发布")
        else:
            messages.success(request, "已保存为草稿")
        return redirect("notice_detail", notice.pk)
    except Refused:
        raise
    except services.NoticeError as e:
        return str(e)


@login_required
def notice_new(request):
    scope = Scope.of(request.user)
    if scope.is_system or not scope.may_issue(scope.unit):
        raise Refused("只有本单位的管理员或审核员可以发文")
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
        raise Refused("只有发文单位的管理员或审核员可以修改")
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
        raise Refused("只有发文单位的管理员或审核员可以更正")
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
        except Refused:
            raise
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
        raise Refused(str(e)) from e
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
    may_forward = own is not None and scope.may_forward(notice, own)
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
    except Refused:
        raise
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", pk)


@login_required
def notice_forward(request, pk):
    scope = Scope.of(request.user)
    parent = queries.get_notice(scope, pk)
    own = scope.unit
    if own is None or not scope.may_issue(own):
        raise Refused("只有本单位的管理员或审核员可以转发")
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
        except Refused:
            raise
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
        deadlines.grant_extension(scope, request.user, requirement, unit, day, request.POST.get("reason", ""))
        messages.success(request, f"已为{unit.name}延期至 {day}")
    except Refused:
        raise
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
        deadlines.request_extension(scope, request.user, requirement, scope.unit, day, request.POST.get("reason", ""))
        messages.success(request, "延期申请已提交，等待发文单位处理")
    except services.NotAllowed as e:
        raise Refused(str(e)) from e
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
        deadlines.decide_extension_request(scope, request.user, ask, grant=grant, note=request.POST.get("note", ""))
        messages.success(request, f"已{'同意' if grant else '不同意'}{ask.unit.name}的延期申请")
    except services.NotAllowed as e:
        raise Refused(str(e)) from e
    except services.NoticeError as e:
        messages.error(request, str(e))
    return redirect("notice_detail", ask.requirement.notice_id)


@login_required
def attachment_download(request, pk):
    scope = Scope.of(request.user)
    attachment = get_object_or_404(NoticeAttachment, pk=pk)
    queries.get_notice(scope, attachment.notice_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
