import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


def hash_token(key: str) -> str:
    # Tokens are 256-bit random strings: a plain SHA-256 is enough and keeps lookup a single indexed match.
    return hashlib.sha256(key.encode()).hexdigest()


class Access(models.TextChoices):
    READ = "read", "只读"
    WRITE = "write", "读写"


class Group(models.TextChoices):
    """The parts of the API a token may be limited to (each operation belongs to one)."""

    REPORTING = "reporting", "单位与填报"
    NOTICES = "notices", "通知与材料报送"
    POLICIES = "policies", "实施细则审查"
    ROSTERS = "rosters", "名册与控辍保学"
    SUPERVISION = "supervision", "督导"
    STATISTICS = "statistics", "统计与排名"
    DASHBOARD = "dashboard", "看板"


class ApiToken(models.Model):
    """A personal token for the REST API; only its hash is kept, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    access = models.CharField("权限", max_length=5, choices=Access.choices, default=Access.WRITE)
    groups = models.JSONField("限于", default=list, blank=True)  # empty: every group
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "接口令牌"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def state_label(self) -> str:
        if self.revoked_at is not None:
            return f"已作废（{self.revoked_reason}）" if self.revoked_reason else "已作废"
        return "已过期" if self.is_expired else "有效"

    @property
    def group_labels(self) -> list[str]:
        return [Group(g).label for g in self.groups if g in Group.values] or ["全部"]

    def allows(self, group: str, writes: bool) -> bool:
        if writes and self.access != Access.WRITE:
            return False
        return not self.groups or group in self.groups
