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


class AuditEvent(models.Model):
    """Who did what, when, from where: logins, permission changes, data changes, decisions, exports."""

    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        ROLE_GRANTED = "role_granted", "授予角色"
        ROLE_REVOKED = "role_revoked", "撤销角色"
        USER_CHANGED = "user_changed", "修改用户"
        DATA_CHANGED = "data_changed", "修改数据"
        SUBMITTED = "submitted", "上报"
        APPROVED = "approved", "审核通过"
        RETURNED = "returned", "退回"
        UNLOCKED = "unlocked", "解锁"
        DOCUMENT = "document", "报送材料"
        NOTICE = "notice", "发文"
        EXTENSION = "extension", "延期"
        SUPERVISION = "supervision", "督导"
        TOKEN = "token", "接口令牌"
        EXPORT_PERSONAL = "export_personal", "导出个人信息"
        IMPORT = "import", "导入"
        NOTICE_CORRECTED = "notice_corrected", "更正通知"
        NOTICE_WITHDRAWN = "notice_withdrawn", "撤回通知"
        LOCKED_OUT = "locked_out", "账号锁定"
        ACCOUNT_UNLOCKED = "account_unlocked", "解除锁定"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(max_length=150, blank=True)  # kept when the user is gone, and for failed logins
    unit = models.ForeignKey("divisions.Division", models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = verbose_name_plural = "审计日志"
