from django.apps import AppConfig

from suiqian.lib import labels


class SupervisionConfig(AppConfig):
    name = "suiqian.supervision"
    verbose_name = "督导"

    def ready(self):
        from . import models

        labels.register_choices("event", models.Sanction.Kind.choices)
        labels.register_choices("inspection_status", models.Inspection.Status.choices)
