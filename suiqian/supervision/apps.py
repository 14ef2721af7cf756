from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "suiqian.supervision"
    verbose_name = "督导"
