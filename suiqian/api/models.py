import hashlib

from django.conf import settings
from django.db import models


def hash_token(key: str) -> str:
    # Tokens are 256-bit random strings: a plain SHA-256 is enough and keeps lookup a single indexed match.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal token for the REST API; only its hash is kept, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "接口令牌"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
