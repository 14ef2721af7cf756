"""The audit trail: one call, `record`, used by every service that changes something or reveals personal data."""

from __future__ import annotations

from contextvars import ContextVar

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from suiqian.lib import labels

from .models import AuditEvent, Role, RoleGrant, User
from .scope import Scope

Action = AuditEvent.Action
labels.register_choices("role", Role.choices)

# The request being served, so that changes made deep in a service or a signal know who made them.
_current_request: ContextVar = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, *, user=None, unit=None, target: str = "", detail: dict | None = None,
           request=None, username: str = "") -> AuditEvent:
    """Record an event. The actor defaults to the user of the request being served."""
    request = request or _current_request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        action=action, user=user, username=username or (user.username if user else ""),
        unit=unit if unit is not None else getattr(user, "unit", None), target=str(target)[:200],
        detail=detail or {}, ip=_ip(request))


def search(scope: Scope, *, text: str = "", action: str = "", unit_code: str = "", date_from=None, date_to=None):
    """Events of the units within scope (and failed logins, which have no unit, for the whole platform only)."""
    qs = scope.filter(AuditEvent.objects.select_related("user", "unit"))
    if action:
        qs = qs.filter(action=action)
    if unit_code:
        qs = qs.filter(unit__code=unit_code)
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(target__icontains=text))
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(Action.LOGIN, user=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, user=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from .models import User

    username = str(credentials.get("username", ""))[:150]
    known = User.objects.filter(username=username).select_related("unit").first()
    record(Action.LOGIN_FAILED, username=username, unit=known.unit if known else None, request=request)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    known = User.objects.filter(username=str(username or "")[:150]).select_related("unit").first()
    record(Action.LOCKED_OUT, username=str(username or "")[:150], unit=known.unit if known else None,
           target=str(username or "")[:150], request=request)


@receiver(post_save, sender=RoleGrant)
def _role_granted(sender, instance, created, **kwargs):
    if created:
        record(Action.ROLE_GRANTED, unit=instance.user.unit, target=instance.user.username,
               detail={"role": instance.role})


@receiver(post_delete, sender=RoleGrant)
def _role_revoked(sender, instance, **kwargs):
    record(Action.ROLE_REVOKED, unit=instance.user.unit, target=instance.user.username,
           detail={"role": instance.role})


# --- what an event says, in words ---------------------------------------------------------------

_VIA = {"page": "页面", "cli": "命令行", "api": "接口"}
_EVENTS = {"inspection": "安排专项检查", "created": "创建", "revoked": "撤销"}
_PLAIN = {"comment": "说明", "reason": "理由", "note": "说明", "title": "标题", "text": "内容", "file": "文件",
          "prefix": "令牌前缀"}
_COUNTS = {"targets": "接收单位 {} 个", "rows": "{} 行", "bad_rows": "错误行 {} 行", "attempts": "清除失败记录 {} 条",
           "version": "第 {} 版", "job": "任务 {} 号", "case": "个案 {} 号", "export": "导出 {} 号"}
_HIDDEN = {"sha256"}  # checksums: kept for the record, meaningless on the page


def describe(event: AuditEvent) -> list[str]:
    """The event's detail as short Chinese phrases: labels for codes, never a key or a data structure."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    status_kind = "case_status" if "case" in detail else "report_status"
    out = []
    if "from" in detail or "to" in detail:
        out.append(f"状态：{labels.label(status_kind, detail.get('from'), '新建')} → "
                   f"{labels.label(status_kind, detail.get('to'), '—')}")
    for key, value in detail.items():
        if key in ("from", "to") or key in _HIDDEN or value in (None, "", [], {}):
            continue
        out.extend(_phrase(key, value))
    return out


def _phrase(key: str, value) -> list[str]:
    if key == "changes":
        return [_change(c) for c in value] if isinstance(value, list) else []
    if key == "role":
        return [f"角色：{labels.label('role', value)}"]
    if key == "event":
        return [labels.label("event", value, _EVENTS.get(str(value), "其他"))]
    if key == "via":
        return [f"经由{_VIA.get(str(value), '其他方式')}"]
    if key == "due_date":
        return [f"延期至 {value}"]
    if key == "units":
        return [f"县区：{'、'.join(labels.label('unit', u, str(u)) for u in value)}"] if isinstance(value, list) else []
    if key in _COUNTS:
        return [_COUNTS[key].format(value)]
    if key in _PLAIN:
        return [f"{_PLAIN[key]}：{labels.humanize_terms(str(value))}"]
    return []  # a key with no words for it is left out rather than shown raw


def _change(change) -> str:
    if isinstance(change, str):  # a notice correction lists what it changed by label already
        return f"修改：{change}"
    if not isinstance(change, dict):
        return ""
    name = labels.label("field", change.get("field"), "某项")
    old, new = change.get("old"), change.get("new")
    return f"{name}：{'空' if old is None else old} → {'空' if new is None else new}"
