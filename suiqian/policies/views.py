from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.notices.models import DocumentSubmission

from . import services
from .queries import city_consistency, feedback_in_scope
from .rules import load_rules

FEEDBACK_PAGE_SIZE = 500


@login_required
def consistency(request, code):
    scope = Scope.of(request.user)
    city = scope.get_unit(code)
    if city.level != Division.Level.CITY:
        raise Http404("请选择一个地级市")
    return render(request, "policies/consistency.html", {"result": city_consistency(scope, city)})


@login_required
@require_POST
def feedback_add(request, submission_id):
    scope = Scope.of(request.user)
    submission = get_object_or_404(DocumentSubmission.objects.select_related("unit", "requirement"),
                                   pk=submission_id)
    if not scope.sees(submission.unit):
        raise Http404
    try:
        services.record_feedback(scope, request.user, submission, kind=request.POST.get("kind", ""),
                                 code=request.POST.get("code", ""), sentence=request.POST.get("sentence", ""),
                                 paragraph=_paragraph(request.POST.get("paragraph")),
                                 note=request.POST.get("note", ""))
        messages.success(request, "已记录审查反馈，将用于改进自动审查")
    except services.NotAllowed as e:
        raise PermissionDenied(str(e)) from e
    except services.FeedbackError as e:
        messages.error(request, str(e))
    return redirect("submission_page", submission.requirement_id, submission.unit.code)


def _paragraph(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 7 else None


@login_required
def feedback_list(request):
    scope = Scope.of(request.user)
    titles = {rule.code: rule.title for rule in load_rules().rules}
    items = [(f, titles.get(f.code, "")) for f in feedback_in_scope(scope)[:FEEDBACK_PAGE_SIZE]]
    return render(request, "policies/feedback_list.html", {"items": items, "limit": FEEDBACK_PAGE_SIZE})
