"""uvloop under Daphne: a faster event loop for the sockets' hot path.

Daphne makes its event loop when ``daphne.server`` is first imported (Django imports it
while loading the ``daphne`` app) and installs Twisted's asyncio reactor on it; the loop
comes from the event loop policy of that moment. So ``manage.py`` sets uvloop's policy
for ``serve`` before anything Django is imported. Twisted keeps handling SIGINT and
SIGTERM (Python's signal handlers, which uvloop runs); the jobs thread and chat/db.py's
threads are plain threads and never see the loop (tests/test_uvloop_serve.py soaks it).

CHAT_UVLOOP=0 keeps asyncio's own loop (to compare, or if uvloop misbehaves somewhere).
"""

from __future__ import annotations

import asyncio
import os
import sys


def uvloop_install() -> bool:
    """Set uvloop's event loop policy unless CHAT_UVLOOP=0; True when it is set."""
    if os.environ.get("CHAT_UVLOOP", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if "daphne.server" in sys.modules:
        raise RuntimeError("uvloop must be set before daphne.server makes its loop")
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def loop_name() -> str:
    loop = asyncio.get_event_loop()
    return f"{type(loop).__module__}.{type(loop).__name__}"
