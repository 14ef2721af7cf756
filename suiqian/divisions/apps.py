from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    name = "suiqian.divisions"
    verbose_name = "行政区划"
