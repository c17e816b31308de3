"""Running the ORM from the websocket consumers.

Channels' ``database_sync_to_async`` runs every ORM call of a process on ONE thread
(``thread_sensitive=True``): each envelope then waits for the previous one's commit
(fsync) before its own query starts, and a second process barely helps (bench/ measured
the ORM thread 86 % busy, 78 % of it waiting on PostgreSQL). Here the calls run on a
small pool of threads, each with its own (kept) connection, so commits overlap and
PostgreSQL groups them. Per-socket order is unchanged (a consumer awaits each call
before its next frame) and per-conversation order is the database's row lock
(chat/services/ordering.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings

Result = TypeVar("Result")


@cache
def executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.CHAT_DB_THREADS, thread_name_prefix="chat-db")


def db_call(function: Callable[..., Result]) -> Callable[..., Awaitable[Result]]:
    """``function`` as a coroutine on the pool (old connections closed around it, as
    Channels does)."""
    call: Any = DatabaseSyncToAsync(function, thread_sensitive=False, executor=executor())
    return call
