from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    FILLER = "filler", "填报员"
    REVIEWER = "reviewer", "审核员"
    ADMIN = "admin", "管理员"
    VIEWER = "viewer", "查看"


class User(AbstractUser):
    """A member of staff of one education bureau (unit)."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, null=True, blank=True,
                             related_name="users", verbose_name="所属单位")
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    @property
    def roles(self) -> frozenset[str]:
        if not hasattr(self, "_roles"):
            self._roles = frozenset(self.role_grants.values_list("role", flat=True)) if self.pk else frozenset()
        return self._roles

    def role_labels(self) -> list[str]:
        return [label for value, label in Role.choices if value in self.roles]


class RoleGrant(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = verbose_name_plural = "角色"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return self.get_role_display()
