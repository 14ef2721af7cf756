from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "suiqian.api"
    verbose_name = "接口"
