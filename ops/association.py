"""The association's name and one line on the visitor's page (ops.models.Association):
set by a coordinator, read by the widget through settings.WIDGET_ASSOCIATION_PROVIDER."""

from __future__ import annotations

from django.db import transaction

from ops.models import Association


def association_shown() -> dict | None:
    """``{"name", "line"}`` for the visitor's page, or None when none was set."""
    association = Association.objects.order_by("pk").first()
    if association is None:
        return None
    return {"name": association.name, "line": association.line}


@transaction.atomic
def association_set(*, name: str, line: str) -> Association | None:
    """Replace what visitors are shown; an empty name shows nothing."""
    Association.objects.all().delete()
    if not name.strip():
        return None
    return Association.objects.create(name=name.strip(), line=line.strip())
