"""Login lockouts, on django-axes' own API: whatever axes counts by (username, address, proxy headers),
the remaining tries and the unlock follow it."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import User
from .scope import Scope


class LockoutError(Exception):
    """Shown to the user as it is."""


def remaining_tries(request, username: str) -> int:
    """How many more failures this username may have from this request's address before it is locked."""
    credentials = {"username": username}
    return max(0, get_failure_limit(request, credentials) - AxesProxyHandler.get_failures(request, credentials))


def failures_of(user: User) -> list[AccessAttempt]:
    """The addresses the user failed from, most failures first."""
    return list(AccessAttempt.objects.filter(username=user.username).order_by("-failures_since_start"))


def locked_attempts(usernames: list[str]):
    """The attempt records that lock any of these usernames (from some address)."""
    recent = AccessAttempt.objects.filter(username__in=usernames, failures_since_start__gte=_limit())
    cool_off = get_cool_off()
    # An attempt older than the cool-off no longer locks anyone, even before axes cleans it up.
    return recent.filter(attempt_time__gte=timezone.now() - cool_off) if cool_off else recent


def is_locked(user: User) -> bool:
    return locked_attempts([user.username]).exists()


def _limit() -> int:
    return get_failure_limit(None, {})


def may_unlock(scope: Scope, user: User) -> bool:
    """The user's unit's 管理员, and the 管理员 above it (up to the province)."""
    return user.unit is not None and scope.may_manage(user.unit)


@transaction.atomic
def unlock(scope: Scope, by, user: User) -> int:
    if not may_unlock(scope, user):
        raise LockoutError("只有该用户所在单位或上级单位的管理员可以解除锁定")
    removed = AxesProxyHandler.reset_attempts(username=user.username)
    audit.record(audit.Action.ACCOUNT_UNLOCKED, user=by, unit=user.unit, target=user.username,
                 detail={"attempts": removed})
    return removed
