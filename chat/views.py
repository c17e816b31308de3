from __future__ import annotations

import asyncio
import contextlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from chat import health

logger = logging.getLogger(__name__)

# The probe's own deadline; /healthz waits for it at most CHECK_TIMEOUT_SECONDS and then
# answers "error", while a slow probe goes on and its answer serves the next request
# (chat/health.py).
CHANNEL_LAYER_TIMEOUT_SECONDS = 5


def database_check() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        # The type and message only: a driver's message can name the host, never a visitor.
        logger.warning("Health check: database failed: %s: %s", type(error).__name__, error)
        # A connection broken by a PostgreSQL restart stays broken: the next check opens
        # a new one (or /healthz would say "database": "error" for ever after).
        with contextlib.suppress(Exception):
            connection.close()
        return False
    return True


async def channel_layer_round_trip() -> None:
    """Send one message to a fresh channel of this process and receive it back.

    The whole round trip has one deadline, connecting to Redis included, because the view
    waits for it on the thread that serves every other database call of this process.
    """
    await asyncio.wait_for(channel_layer_send_receive(), CHANNEL_LAYER_TIMEOUT_SECONDS)


async def channel_layer_send_receive() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    try:
        await layer.send(channel, {"type": "health.check"})
        message = await receiving
    finally:
        # A cancelled receive() is how a channel is dropped: the pub/sub layer then
        # unsubscribes it (channels has no "delete channel").
        receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiving
    if message.get("type") != "health.check":
        raise RuntimeError("the channel layer returned another message")
    # The receive above succeeded, so the pub/sub layer kept the subscription: drop it
    # the same way, or every health check would leave one behind in Redis and a queue in
    # this process. The channel is still known to the layer, so this receive() goes
    # straight to waiting on its queue, where the cancellation lands.
    dropping = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    dropping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dropping


def channel_layer_check() -> bool:
    try:
        async_to_sync(channel_layer_round_trip)()
    except Exception as error:
        logger.warning("Health check: channel layer failed: %s: %s", type(error).__name__, error)
        return False
    return True


@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `docker compose`: can this process reach its backing services?

    200 when both answer, else 503. The body says which check failed but never why:
    exception text can carry connection strings, so it goes to the log only. Under
    Daphne, chat/health.py answers before Django (config/asgi.py); this view is the same
    answer for any other server and for tests.
    """
    status, body = await health.readiness()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
async def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers (chat/health.py). Nothing else is asked."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response
