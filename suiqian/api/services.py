"""Writes: API tokens — created with an access level, optional groups and an expiry; revoked by their owner,
and by the platform when the owner's password changes or the account is deactivated."""

import datetime as dt
import secrets

from django.conf import settings
from django.utils import timezone

from suiqian.accounts import audit

from .models import Access, ApiToken, Group, hash_token

TOKEN_PREFIX = "sq_"
DEFAULT_DAYS = getattr(settings, "API_TOKEN_DAYS", 180)
DAY_CHOICES = (30, 90, 180, 365)
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class TokenError(Exception):
    """A refusal shown to the user as it is."""


def create_token(user, name: str, *, access: str = Access.WRITE, groups=(), days: int | None = None
                 ) -> tuple[ApiToken, str]:
    """Create a token; the returned key is the only time it is ever visible."""
    name = (name or "").strip()[:100] or "未命名"
    if access not in Access.values:
        raise TokenError("请选择只读或读写")
    groups = sorted(set(groups))
    if set(groups) - set(Group.values):
        raise TokenError("令牌的适用范围无效")
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise TokenError("有效期应在 1 至 366 天之间")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(key), prefix=key[:10], access=access,
                                    groups=groups, expires_at=timezone.now() + dt.timedelta(days=days))
    audit.record(audit.Action.TOKEN, user=user, target=name,
                 detail={"event": "created", "prefix": token.prefix, "access": access, "groups": groups,
                         "days": days})
    return token, key


def revoke_token(user, token_id: int) -> bool:
    revoked = bool(ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True)
                   .update(revoked_at=timezone.now(), revoked_reason="本人作废"))
    if revoked:
        audit.record(audit.Action.TOKEN, user=user, target=str(token_id), detail={"event": "revoked"})
    return revoked


def revoke_all(user, reason: str) -> int:
    """Every live token of `user` stops working (the password changed, the account was deactivated)."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now(),
                                                                              revoked_reason=reason)
    if count:
        audit.record(audit.Action.TOKEN, user=user, target=user.username,
                     detail={"event": "revoked_all", "reason": reason, "count": count})
    return count


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key (its user active), its last use noted; None for anything else."""
    token = (ApiToken.objects.select_related("user", "user__unit")
             .filter(key_hash=hash_token(key), revoked_at__isnull=True, user__is_active=True)
             .exclude(expires_at__lte=timezone.now()).first())
    if token is None:
        return None
    now = timezone.now()
    # The token page shows the last use to the minute: a write per request (a commit each) would add
    # nothing to it and cost every call of a busy county system a round trip and a WAL flush.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_key(key: str):
    token = token_for_key(key)
    return token.user if token else None
