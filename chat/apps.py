from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from chat import checks  # noqa: F401 — registers the deploy checks
