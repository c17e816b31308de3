"""How log lines look: UTC times with their offset, and refusals as warnings.

Django sets the process's time zone to TIME_ZONE (the helpline's, Europe/Paris by
default), so `logging`'s default times were local with no offset: ambiguous once a year
and hard to line up with Caddy's or PostgreSQL's logs. Lines carry UTC instead, as
ISO 8601 with `+00:00`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime


class UTCFormatter(logging.Formatter):
    """``2026-12-08T10:15:30.123+00:00`` whatever the process's time zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


class RefusalAsWarning(logging.Filter):
    """A request Django refused for what the client sent, as one WARNING line.

    Django logs every `SuspiciousOperation` (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a
    Host header not in ALLOWED_HOSTS, too many form fields...) at ERROR with its
    traceback, on `django.security.<name>`. Anyone can send those: nothing an anonymous
    client sends may produce an ERROR line (DESIGN §2.7). The request was answered 400;
    the line says which refusal it was, without the traceback or the request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
