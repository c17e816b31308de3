"""Staff authentication's periodic job (settings.PERIODIC_JOBS)."""

from __future__ import annotations

import logging

from django.utils import timezone

from ops.auth.sessions import sessions_expire

logger = logging.getLogger(__name__)


def sessions_expire_job() -> None:
    deleted = sessions_expire(now=timezone.now())
    if deleted:
        logger.info("forgot %d expired staff sessions", deleted)
