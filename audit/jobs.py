"""The audit log's periodic job (settings.PERIODIC_JOBS)."""

from __future__ import annotations

import logging

from django.utils import timezone

from audit.services import audit_expire

logger = logging.getLogger(__name__)


def audit_expire_job() -> None:
    deleted = audit_expire(now=timezone.now())
    if deleted:
        logger.info("expired %d audit entries", deleted)
