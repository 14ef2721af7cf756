from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "suiqian.accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from . import audit  # noqa: F401  (connects the login and role-change receivers)
