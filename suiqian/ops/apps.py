from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "suiqian.ops"
    verbose_name = "运维"
