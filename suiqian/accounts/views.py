import datetime as dt

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import audit
from .models import AuditEvent
from .scope import Refused, Scope


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


logout = auth_views.LogoutView.as_view()
login = LoginView.as_view()


@login_required
def audit_log(request):
    scope = Scope.of(request.user)
    if not scope.may_read_audit_log(request.user):
        raise Refused("只有省级管理员可以查看审计日志")
    params = {k: request.GET.get(k, "").strip() for k in ("text", "action", "unit", "from", "to")}
    try:
        date_from = dt.date.fromisoformat(params["from"]) if params["from"] else None
        date_to = dt.date.fromisoformat(params["to"]) if params["to"] else None
    except ValueError:
        date_from = date_to = None
    events = audit.search(scope, text=params["text"], action=params["action"], unit_code=params["unit"],
                          date_from=date_from, date_to=date_to)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit.html",
                  {"page": page, "params": params, "actions": AuditEvent.Action.choices})
