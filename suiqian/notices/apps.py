from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "suiqian.notices"
    verbose_name = "通知与报送"

    def ready(self):
        from . import suppliers  # noqa: F401  (registers 附件3 row 1 suppliers)
