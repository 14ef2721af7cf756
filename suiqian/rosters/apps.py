from django.apps import AppConfig

from suiqian.lib import labels


class RostersConfig(AppConfig):
    name = "suiqian.rosters"
    verbose_name = "控辍保学（学籍名册）"

    def ready(self):
        from . import models

        labels.register_choices("case_status", models.CaseStatus.choices)
        labels.register_choices("job_status", models.ImportJob.Status.choices)
