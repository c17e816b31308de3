"""A periodic sweep of this process's Redis subscriptions: what no live socket needs any
more is unsubscribed.

channels_redis' pub/sub layer forgets a group member first and unsubscribes from Redis
after; when Redis does not answer then (stopped, hung, restarting), the subscription
stays in Redis and in the layer's shard, and redis-py subscribes to it again on
reconnecting: a socket gone during a Redis outage kept its groups subscribed for the
life of the worker. Consumers' own cleanup (chat/consumers/base.py) covers every end of
a socket; this covers the unsubscribes Redis did not take.

Only for channels_redis' ``RedisPubSubChannelLayer`` (the one settings configure with
REDIS_URL); the in-memory layer keeps nothing outside the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 15.0
UNSUBSCRIBE_TIMEOUT_SECONDS = 2.0

_sweeps: dict[int, asyncio.Task] = {}  # id(layer) → its sweep task


def needed(layer) -> set[str]:
    """The Redis channels this process's live sockets need: their own and their groups."""
    return set(layer.channels) | set(layer.groups)


def stale(layer) -> list[tuple[object, str]]:
    """(shard, channel) subscribed in Redis that nothing in this process needs."""
    wanted = needed(layer)
    return [
        (shard, name)
        for shard in getattr(layer, "_shards", ())
        for name in list(getattr(shard, "_subscribed_to", ()))
        if name not in wanted
    ]


async def sweep(layer) -> int:
    """Unsubscribe what no socket needs; the number unsubscribed."""
    done = 0
    for shard, name in stale(layer):
        try:
            done += await asyncio.wait_for(
                unsubscribe_unneeded(layer, shard, name), UNSUBSCRIBE_TIMEOUT_SECONDS
            )
        except Exception as exc:  # noqa: BLE001 — Redis still away: next time
            logger.info("subscription sweep: Redis unavailable (%s)", type(exc).__name__)
            break
    return done


async def unsubscribe_unneeded(layer, shard, name: str) -> int:
    """Under the shard's lock, as its own subscribe does: a socket joining the group
    meanwhile either is seen here, or subscribes again once the lock is free."""
    async with shard._lock:
        if name in needed(layer) or name not in shard._subscribed_to:
            return 0
        await shard._pubsub.unsubscribe(name)
        shard._subscribed_to.discard(name)
        return 1


async def sweep_forever(layer) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
        with contextlib.suppress(Exception):
            swept = await sweep(layer)
            if swept:
                logger.info("subscription sweep: %d left behind unsubscribed", swept)


def sweep_start(layer) -> None:
    """Start the sweep of ``layer`` on this loop, once (each consumer calls it)."""
    if layer is None or not hasattr(layer, "_shards"):
        return
    task = _sweeps.get(id(layer))
    if task is not None and not task.done():
        return
    _sweeps[id(layer)] = asyncio.ensure_future(sweep_forever(layer))
