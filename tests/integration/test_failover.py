"""Losing a Daphne worker or Redis in the middle of a conversation loses nothing
(DESIGN §7, docs/protocol.md §7): acknowledged means stored in PostgreSQL, unacknowledged
envelopes are sent again, and a client that missed live items catches up by `sync`."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration

VISITOR, STAFF = "visitor", "staff"
MESSAGES_EACH_WAY = 200
# Only so that both streams are still going when the failures hit; nothing is timed.
PAUSE_BETWEEN_SENDS_SECONDS = 0.01


async def paced(pair, side: str, count: int, *, label: str, after_each=None) -> None:
    async def then_pause(i: int) -> None:
        if after_each is not None:
            await after_each(i)
        await asyncio.sleep(PAUSE_BETWEEN_SENDS_SECONDS)

    await pair.stream(side, count, label=label, after_each=then_pause)


async def eventually(condition, *, timeout: float = 60, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: still false after {timeout} s")
        await asyncio.sleep(0.1)


async def test_killing_the_visitors_worker_twice_loses_and_repeats_nothing(live_stack, pair_open):
    first, second = live_stack.urls
    # Both know both workers; each starts on its own.
    pair = await pair_open([first, second], [second, first])
    assert (pair.worker_of(VISITOR), pair.worker_of(STAFF)) == (0, 1)
    killed: list[int] = []
    kills: list[asyncio.Task] = []
    restarts: list[asyncio.Task] = []
    victim_back = asyncio.Event()
    victim_back.set()

    async def kill_the_visitors_worker() -> None:
        await victim_back.wait()  # the previous victim serves again, so there is a refuge
        victim = pair.worker_of(VISITOR)
        live_stack.kill(victim)
        killed.append(victim)
        victim_back.clear()

        async def restart() -> None:
            await asyncio.to_thread(live_stack.start, victim)
            victim_back.set()

        restarts.append(asyncio.create_task(restart()))

    async def after_visitor_sent(i: int) -> None:
        # First the visitor's worker alone (the visitor fails over to the staff's worker),
        # then the worker both are on (both fail over to the restarted one). The kill runs
        # once the visitor waits for its next ack: that envelope may be stored without the
        # visitor ever hearing so, and is sent again.
        if i in (60, 130):
            kills.append(asyncio.create_task(kill_the_visitors_worker()))

    await asyncio.gather(
        paced(pair, VISITOR, MESSAGES_EACH_WAY, label="failover", after_each=after_visitor_sent),
        paced(pair, STAFF, MESSAGES_EACH_WAY, label="failover"),
    )
    await asyncio.gather(*kills)
    await asyncio.gather(*restarts)
    await pair.wait_caught_up()

    assert killed == [0, 1]
    assert pair.visitor.reconnections >= 2
    assert pair.staff.reconnections >= 1
    assert all(worker.running for worker in live_stack.workers)
    pair.assert_delivered_exactly_once_in_order()
    assert pair.last_order_stored() == 1 + 2 * MESSAGES_EACH_WAY


async def test_restarting_redis_loses_nothing_and_fan_out_resumes(live_stack, pair_open):
    first, second = live_stack.urls
    pair = await pair_open([first, second], [second, first])
    # One subscription to the conversation's group per worker with a member on it.
    assert pair.pubsub_subscribers() == 2

    # 1. Redis goes away and comes back while both sides keep writing. What was published
    # meanwhile is lost to the live path; the items that arrive live after the restart
    # show each client a gap, which it fills with a sync from PostgreSQL.
    async def after_visitor_sent(i: int) -> None:
        if i == 40:
            await asyncio.to_thread(live_stack.redis_stop)
        elif i == 100:
            await asyncio.to_thread(live_stack.redis_start)

    await asyncio.gather(
        paced(pair, VISITOR, MESSAGES_EACH_WAY, label="redis", after_each=after_visitor_sent),
        paced(pair, STAFF, MESSAGES_EACH_WAY, label="redis"),
    )
    await pair.wait_caught_up()
    pair.assert_delivered_exactly_once_in_order()
    assert pair.last_order_stored() == 1 + 2 * MESSAGES_EACH_WAY

    # The workers' pub/sub connections subscribed again to what they listened to before.
    workers_in_use = {pair.worker_of(VISITOR), pair.worker_of(STAFF)}
    await eventually(
        lambda: pair.pubsub_subscribers() == len(workers_in_use),
        what="the conversation's group is subscribed again in the new Redis",
    )

    # 2. The last messages of a conversation are written while Redis is down: no later
    # item reveals the gap, so only the heartbeat (ping → pong's last order → sync)
    # brings them. Sending works without Redis: acknowledged means stored.
    live_stack.redis_stop()
    await asyncio.gather(
        pair.stream(VISITOR, 20, label="tail"),
        pair.stream(STAFF, 20, label="tail"),
    )
    live_stack.redis_start()
    await pair.wait_caught_up()
    pair.assert_delivered_exactly_once_in_order()

    # 3. Live fan-out works again: a last exchange arrives like any other.
    await eventually(
        lambda: pair.pubsub_subscribers() == len(workers_in_use),
        what="the conversation's group is subscribed again after the second restart",
    )
    await pair.say(VISITOR, "after the restarts, from the visitor")
    await pair.say(STAFF, "after the restarts, from staff")
    await pair.wait_caught_up()
    pair.assert_delivered_exactly_once_in_order()
    assert pair.visitor.failures == pair.staff.failures == []
