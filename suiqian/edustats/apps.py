from django.apps import AppConfig


class EdustatsConfig(AppConfig):
    name = "suiqian.edustats"
    verbose_name = "教育事业统计"

    def ready(self):
        from . import sources  # noqa: F401  (registers the 教育事业统计 as 附件3's second source)
