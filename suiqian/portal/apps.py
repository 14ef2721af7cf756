from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top layer: pages and commands that span domains (home, unit page, seed and demo data)."""

    name = "suiqian.portal"
    verbose_name = "门户"
