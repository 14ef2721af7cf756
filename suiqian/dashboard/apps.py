from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "suiqian.dashboard"
    verbose_name = "工作台"
