"""The one `now()` of routing, rota, presence and the shift job.

`now()` is `django.utils.timezone.now()`. **Test only:** when the environment variable
`HELPLINE_TEST_CLOCK_FILE` names a file, the number of seconds in it (a float, may be
negative; a missing or empty file is 0) is added, read at every call, so that a browser
test can move a live server's helpline through time ("the shift opens") without
touching the machine's clock. Production never sets it: docs/operations.md says so, and
chat's own timestamps (messages, expiry) never go through here.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

logger = logging.getLogger(__name__)

TEST_CLOCK_ENV = "HELPLINE_TEST_CLOCK_FILE"


def offset() -> timedelta:
    """The test clock's offset; zero unless HELPLINE_TEST_CLOCK_FILE is set."""
    path = os.environ.get(TEST_CLOCK_ENV)
    if not path:
        return timedelta(0)
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return timedelta(0)
    try:
        return timedelta(seconds=float(text)) if text else timedelta(0)
    except ValueError:
        logger.warning("%s does not hold a number of seconds; ignored", TEST_CLOCK_ENV)
        return timedelta(0)


def shifted(moment: datetime) -> datetime:
    """`moment` (a real instant, e.g. the `now` chat passes to a hook) on the helpline's
    clock. Identity unless the test clock is set."""
    return moment + offset()


def now() -> datetime:
    return shifted(timezone.now())
