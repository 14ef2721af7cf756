"""The audit trail: one call, `record`, used by every service that changes something or reveals personal data."""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import router
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from suiqian.lib.clientip import client_ip

from .models import AuditEvent, RoleGrant, User
from .scope import Scope

Action = AuditEvent.Action

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
    return client_ip(request)


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


# Signal receivers below ignore rows that loaddata writes (raw) and rows of any database but the one the
# audit log lives in: a restore into another database must write nothing here.

def _replayed(instance, kwargs) -> bool:
    return bool(kwargs.get("raw")) or (instance._state.db or "default") != router.db_for_write(AuditEvent)


def role_granted(user, role: str) -> None:
    """Also called by set_roles, whose bulk_create sends no signal."""
    record(Action.ROLE_GRANTED, unit=user.unit, target=user.username, detail={"role": role})


@receiver(post_save, sender=RoleGrant)
def _role_granted(sender, instance, created, **kwargs):
    if created and not _replayed(instance, kwargs):
        role_granted(instance.user, instance.role)


@receiver(post_delete, sender=RoleGrant)
def _role_revoked(sender, instance, **kwargs):
    if _replayed(instance, kwargs):
        return
    record(Action.ROLE_REVOKED, unit=instance.user.unit, target=instance.user.username,
           detail={"role": instance.role})


# What an administrator changes on a user (moved to another unit, password reset, deactivated …): old → new.
WATCHED_USER_FIELDS = ("username", "unit_id", "is_active", "is_staff", "is_superuser", "email", "phone",
                       "first_name", "last_name")


@receiver(pre_save, sender=User)
def _remember_user(sender, instance, **kwargs):
    if _replayed(instance, kwargs) or instance.pk is None:
        return
    instance._audit_before = User.objects.filter(pk=instance.pk).values(*WATCHED_USER_FIELDS, "password").first()


@receiver(post_save, sender=User)
def _user_changed(sender, instance, created, update_fields=None, **kwargs):
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if _replayed(instance, kwargs) or created or before is None:
        return
    changes = {f: [before[f], getattr(instance, f)] for f in WATCHED_USER_FIELDS if before[f] != getattr(instance, f)}
    if before["password"] != instance.password:
        changes["password"] = "已重置"  # never the hash
    if changes:
        record(Action.USER_CHANGED, unit=instance.unit, target=instance.username, detail={"changes": changes})
