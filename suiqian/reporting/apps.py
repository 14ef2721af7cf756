from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "suiqian.reporting"
    verbose_name = "填报与统计"
