"""W5's job: run ``chat.expiry.conversations_expire`` once, as the ``worker`` process
would, and print one JSON line: how many conversations it deleted and how long it took.

    DATABASE_URL=... SECRET_KEY=... python -m bench.expire_run
"""

from __future__ import annotations

import json
import os
import time

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.utils import timezone

    from chat.expiry import conversations_expire

    started = time.perf_counter()
    deleted = conversations_expire(now=timezone.now())
    print(
        json.dumps(
            {"deleted_conversations": deleted, "seconds": round(time.perf_counter() - started, 2)}
        )
    )


if __name__ == "__main__":
    main()
