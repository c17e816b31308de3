"""The one `now()` of routing, rota, presence and the shift job.

`now()` is `django.utils.timezone.now()`. **Test only:** when the setting
`HELPLINE_TEST_CLOCK_FILE` (from the environment variable of that name) names a file, the
number of seconds in it (a float, may be negative; a missing or empty file is 0) is
added, read at every call, so that a browser test can move a live server's helpline
through time ("the shift opens") without touching the machine's clock. Unset — always in
production, where config/settings.py refuses it — no file is read. Chat's own timestamps
(messages, expiry) never go through here.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def offset() -> timedelta:
    """The test clock's offset; zero, and nothing read, unless the setting
    HELPLINE_TEST_CLOCK_FILE is set."""
    path = settings.HELPLINE_TEST_CLOCK_FILE
    if not path:
        return timedelta(0)
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return timedelta(0)
    try:
        return timedelta(seconds=float(text)) if text else timedelta(0)
    except ValueError:
        logger.warning("%s does not hold a number of seconds; ignored", path)
        return timedelta(0)


def shifted(moment: datetime) -> datetime:
    """`moment` (a real instant, e.g. the `now` chat passes to a hook) on the helpline's
    clock. Identity unless the test clock is set."""
    return moment + offset()


def now() -> datetime:
    return shifted(timezone.now())


def today() -> date:
    """Today's date in the helpline's zone (settings.TIME_ZONE), on this clock."""
    return timezone.localdate(now())
