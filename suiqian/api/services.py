"""Writes: API tokens."""

import secrets

from django.utils import timezone

from suiqian.accounts import audit

from .models import ApiToken, hash_token

TOKEN_PREFIX = "sq_"


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """Create a token; the returned key is the only time it is ever visible."""
    name = (name or "").strip()[:100] or "未命名"
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(key), prefix=key[:10])
    audit.record(audit.Action.TOKEN, user=user, target=name, detail={"event": "created", "prefix": token.prefix})
    return token, key


def revoke_token(user, token_id: int) -> bool:
    revoked = bool(ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True)
                   .update(revoked_at=timezone.now()))
    if revoked:
        audit.record(audit.Action.TOKEN, user=user, target=str(token_id), detail={"event": "revoked"})
    return revoked


def user_for_key(key: str):
    token = (ApiToken.objects.select_related("user", "user__unit")
             .filter(key_hash=hash_token(key), revoked_at__isnull=True, user__is_active=True).first())
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
