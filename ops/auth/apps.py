from __future__ import annotations

from django.apps import AppConfig


class StaffAuthConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ops.auth"
    # Not "auth": that label is django.contrib.auth's.
    label = "staff_auth"
    verbose_name = "Staff authentication"

    def ready(self) -> None:
        from ops.auth import checks  # noqa: F401 — registers the deploy checks
