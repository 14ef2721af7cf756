from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "suiqian.policies"
    verbose_name = "实施细则审查"
