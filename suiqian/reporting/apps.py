from django.apps import AppConfig

from suiqian.lib import labels


class ReportingConfig(AppConfig):
    name = "suiqian.reporting"
    verbose_name = "填报与统计"

    def ready(self):
        # Field codes and report statuses are shown to users by their labels, wherever they appear.
        from . import models
        from .labels import field_label

        labels.register("field", field_label)
        labels.register_choices("report_status", models.Report.Status.choices)
        labels.register_choices("report_action", models.ReportEvent.Action.choices)
