from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "suiqian.api"
    verbose_name = "接口"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
