"""Readiness (/healthz) and liveness (/livez) that answer within a second, always.

/healthz used to run its database query on the thread that serves every other sync view,
and a Redis round trip without a deadline of its own: during a PostgreSQL hang it did not
answer at all, and a load balancer with a short timeout would have marked every worker
down at once. Here:

- each check (``database``, ``channel_layer``) runs on its own: at most one probe of a
  check is in flight (a probe stuck on a hung server is not started again and again),
  its answer is kept CHECK_FRESH_SECONDS, and a probe that has not answered within
  CHECK_TIMEOUT_SECONDS counts as failed: the answer says which part is sick. A slow
  probe is not cut short: it goes on (up to its own deadline) and its answer serves the
  next request, so a busy but working worker is not reported sick for ever;
- the database probe has a thread of its own, never the ORM threads of the consumers
  (chat/db.py) nor the sync views' thread;
- both endpoints are answered by ``HealthEndpoints`` (config/asgi.py) before Django's
  middleware, some of which hop onto that sync thread;
- /livez says only that this process's event loop answers: restart a worker whose
  /livez fails; take one out of the load balancer while /healthz fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 0.8
CHECK_FRESH_SECONDS = 2.0
HEALTH_PATHS = ("/healthz", "/livez")


class Check:
    """One dependency's check: ``probe`` is a coroutine function that raises if sick."""

    def __init__(self, name: str, probe: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.probe = probe
        self.ok: bool | None = None
        self.checked_at = float("-inf")
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        try:
            await self.probe()
            ok = True
        except Exception as error:  # noqa: BLE001 — the type to the log; the body says "error"
            logger.warning("Health check: %s failed: %s", self.name, type(error).__name__)
            ok = False
        self.ok, self.checked_at = ok, time.monotonic()

    async def healthy(self) -> bool:
        if time.monotonic() - self.checked_at < CHECK_FRESH_SECONDS and self.ok is not None:
            return self.ok
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.run())
        try:
            await asyncio.wait_for(asyncio.shield(self.task), CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("Health check: %s did not answer in time", self.name)
            return False
        return bool(self.ok)


@cache
def database_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-db")


async def database_probe() -> None:
    from chat import views

    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(database_executor(), views.database_check):
        raise RuntimeError("database check failed")


async def channel_layer_probe() -> None:
    from chat import views

    await views.channel_layer_round_trip()


_checks: dict[asyncio.AbstractEventLoop, tuple[Check, Check]] = {}


def checks() -> tuple[Check, Check]:
    """This loop's checks (a probe's task belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    found = _checks.get(loop)
    if found is None:
        found = (Check("database", database_probe), Check("channel_layer", channel_layer_probe))
        _checks.clear()
        _checks[loop] = found
    return found


def checks_forget() -> None:
    """Forget the answers kept (tests that change what the checks see)."""
    _checks.clear()


async def readiness() -> tuple[int, dict[str, str]]:
    database, channel_layer = checks()
    db_ok, layer_ok = await asyncio.gather(database.healthy(), channel_layer.healthy())
    healthy = db_ok and layer_ok
    return 200 if healthy else 503, {
        "status": "ok" if healthy else "error",
        "database": "ok" if db_ok else "error",
        "channel_layer": "ok" if layer_ok else "error",
    }


class HealthEndpoints:
    """ASGI: GET /healthz and /livez answered here, everything else passed on."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") not in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        if scope.get("method") not in ("GET", "HEAD"):
            await respond(send, 405, {"status": "error"}, extra=[(b"allow", b"GET")])
            return
        if scope["path"] == "/livez":
            await respond(send, 200, {"status": "ok"})
            return
        status, body = await readiness()
        await respond(send, status, body)


def hsts_header() -> list[tuple[bytes, bytes]]:
    """What Django's SecurityMiddleware adds to every other response (these answers do
    not go through Django): one HSTS header, as settings.py configures it."""
    from django.conf import settings

    if not settings.SECURE_HSTS_SECONDS:
        return []
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return [(b"strict-transport-security", value.encode())]


async def respond(send, status: int, body: dict, *, extra: list | None = None) -> None:
    content = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        *hsts_header(),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": content})
