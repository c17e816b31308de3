"""A long conversation across two Daphne workers, through Redis and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration

MESSAGES_EACH_WAY = 500
VISITOR, STAFF = "visitor", "staff"


async def test_a_thousand_messages_arrive_once_in_order_across_two_workers(live_stack, pair_open):
    # The visitor on worker 0, the staff device on worker 1: every item crosses Redis.
    visitor_url, staff_url = live_stack.urls
    pair = await pair_open([visitor_url], [staff_url])
    assert (pair.worker_of(VISITOR), pair.worker_of(STAFF)) == (0, 1)

    await asyncio.gather(
        pair.stream(VISITOR, MESSAGES_EACH_WAY, label="live"),
        pair.stream(STAFF, MESSAGES_EACH_WAY, label="live"),
    )
    await pair.wait_caught_up()

    pair.assert_delivered_exactly_once_in_order()
    assert len(pair.received(STAFF)) == len(pair.received(VISITOR)) == MESSAGES_EACH_WAY
    assert pair.last_order_stored() == 1 + 2 * MESSAGES_EACH_WAY
