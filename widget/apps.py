from __future__ import annotations

from django.apps import AppConfig


class WidgetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "widget"
    verbose_name = "Visitor widget"

    def ready(self) -> None:
        from widget import checks  # noqa: F401  (registers the system checks)
