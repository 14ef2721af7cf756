import datetime as dt

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from suiqian.lib import labels

from . import audit, lockouts
from .models import AuditEvent, Role, User
from .scope import Scope


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        # Said before the lockout, not after: how many tries are left for this name from here.
        username = (self.request.POST.get("username") or "").strip()[:150]
        context = {"remaining_tries": lockouts.remaining_tries(self.request, username)} if username else {}
        return self.render_to_response(self.get_context_data(form=form, **context))


logout = auth_views.LogoutView.as_view()
login = LoginView.as_view()


@login_required
def audit_log(request):
    scope = Scope.of(request.user)
    if not (request.user.is_superuser or scope.may_administer_platform()):
        raise PermissionDenied("只有省级管理员可以查看审计日志")
    params = {k: request.GET.get(k, "").strip() for k in ("text", "action", "unit", "from", "to")}
    try:
        date_from = dt.date.fromisoformat(params["from"]) if params["from"] else None
        date_to = dt.date.fromisoformat(params["to"]) if params["to"] else None
    except ValueError:
        date_from = date_to = None
    events = audit.search(scope, text=params["text"], action=params["action"], unit_code=params["unit"],
                          date_from=date_from, date_to=date_to)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for e in page:
        e.phrases, e.target_text = audit.describe(e), labels.humanize_terms(e.target)
    return render(request, "accounts/audit.html",
                  {"page": page, "params": params, "actions": AuditEvent.Action.choices})


def _managed_user(request, pk) -> tuple[Scope, User]:
    scope = Scope.of(request.user)
    user = get_object_or_404(User.objects.select_related("unit"), pk=pk)
    if user.unit is None or not scope.sees(user.unit):
        raise Http404("用户不存在或不在您的权限范围内")
    if not lockouts.may_unlock(scope, user):
        raise PermissionDenied("只有该用户所在单位或上级单位的管理员可以管理该用户")
    return scope, user


@login_required
def user_list(request):
    scope = Scope.of(request.user)
    if not scope.has_role(Role.ADMIN):
        raise PermissionDenied("只有管理员可以查看用户")
    users = scope.filter(User.objects.select_related("unit").order_by("unit__code", "username"))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    locked = {a.username for a in lockouts.locked_attempts([u.username for u in page])}
    return render(request, "accounts/users.html", {"page": page, "locked": locked})


@login_required
def user_page(request, pk):
    scope, user = _managed_user(request, pk)
    own = Q(username=user.username, action__in=[AuditEvent.Action.LOGIN, AuditEvent.Action.LOGIN_FAILED,
                                                AuditEvent.Action.LOCKED_OUT])
    unlocked = Q(action=AuditEvent.Action.ACCOUNT_UNLOCKED, target=user.username)
    events = AuditEvent.objects.filter(own | unlocked).select_related("user")[:20]
    return render(request, "accounts/user.html", {
        "person": user, "locked": lockouts.is_locked(user), "attempts": lockouts.failures_of(user),
        "events": events})


@login_required
@require_POST
def user_unlock(request, pk):
    scope, user = _managed_user(request, pk)
    try:
        lockouts.unlock(scope, request.user, user)
        messages.success(request, f"已解除 {user.get_full_name() or user.username} 的登录锁定")
    except lockouts.LockoutError as e:
        raise PermissionDenied(str(e)) from e
    return redirect("user_page", user.pk)
