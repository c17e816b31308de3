"""Reading the audit log: the coordinator's page filters by action, person and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(audit_filter: AuditFilter) -> QuerySet[AuditEntry]:
    """Entries, newest first, matching the filter (dates in the helpline's zone,
    ``until`` inclusive)."""
    entries = AuditEntry.objects.all()
    if audit_filter.action:
        entries = entries.filter(action=audit_filter.action)
    if audit_filter.actor:
        entries = entries.filter(actor_name__iexact=audit_filter.actor)
    if audit_filter.since:
        entries = entries.filter(at__gte=day_start(audit_filter.since))
    if audit_filter.until:
        entries = entries.filter(at__lt=day_start(audit_filter.until + timedelta(days=1)))
    return entries.order_by("-at", "-pk")
