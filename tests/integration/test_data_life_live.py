"""Delete now and expiry on the live stack (issue 7): two Daphne workers, Redis and
PostgreSQL, the Python reference clients on both sides. The visitor on one worker
deletes; the staff device on the other is told through Redis; nothing of the
conversation is left in any table or in Redis. Expiry run by `manage.py chat_expire` (a
separate process, as the worker is) tells the sockets too."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

pytestmark = pytest.mark.integration

# Every table that holds something of a conversation, and its column naming it.
CONVERSATION_TABLES = {
    "chat_conversation": "id",
    "chat_commit": "conversation_id",
    "chat_envelope": "conversation_id",
    "chat_participant": "conversation_id",
    "ops_route": "conversation_id",
    "ops_note": "conversation_id",
    "ops_conversationoutcome": "conversation_id",
}


def rows_left(stack, conversation_id: str) -> dict[str, int]:
    counts = {
        table: stack.sql(
            f"SELECT count(*) FROM {table} WHERE {column} = %s",  # noqa: S608 — fixed names
            [conversation_id],
        )[0][0]
        for table, column in CONVERSATION_TABLES.items()
    }
    counts["chat_wrap"] = stack.sql(
        "SELECT count(*) FROM chat_wrap w JOIN chat_commit c ON w.commit_id = c.id"
        " WHERE c.conversation_id = %s",
        [conversation_id],
    )[0][0]
    return counts


def redis_names_of(stack, conversation_id: str) -> list[str]:
    hex_id = uuid.UUID(conversation_id).hex
    names = stack.redis_cli("KEYS", "*").split() + stack.redis_cli("PUBSUB", "CHANNELS").split()
    return [name for name in names if hex_id in name or conversation_id in name]


async def told(client, conversation_id: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for deleted in client.deleted:
            if deleted.conversation_id == conversation_id:
                return deleted
        await asyncio.sleep(0.05)
    raise AssertionError("not told that the conversation was deleted")


async def test_the_visitor_deletes_on_one_worker_and_staff_on_the_other_are_told(
    live_stack, pair_open
):
    visitor_url, staff_url = live_stack.urls
    pair = await pair_open([visitor_url], [staff_url])
    conversation_id = pair.conversation_id
    await pair.say("visitor", "effacez tout, s'il vous plaît")
    await pair.wait_caught_up()
    assert rows_left(live_stack, conversation_id)["chat_envelope"] == 1
    assert pair.pubsub_subscribers() == 2

    deleted = await pair.visitor.delete()

    assert (deleted.conversation_id, deleted.reason) == (conversation_id, "visitor")
    assert (await told(pair.staff, conversation_id)).reason == "visitor"
    assert all(count == 0 for count in rows_left(live_stack, conversation_id).values())
    assert conversation_id not in pair.staff.conversations
    assert pair.visitor.token is None
    for _ in range(50):
        if not redis_names_of(live_stack, conversation_id):
            break
        await asyncio.sleep(0.1)
    assert redis_names_of(live_stack, conversation_id) == []


async def test_expiry_run_by_hand_deletes_and_tells_the_sockets(live_stack, pair_open):
    visitor_url, staff_url = live_stack.urls
    pair = await pair_open([visitor_url], [staff_url])
    conversation_id = pair.conversation_id
    await pair.say("visitor", "bonjour")
    await pair.wait_caught_up()
    live_stack.sql(
        "UPDATE chat_conversation SET last_activity_at = now() - interval '31 days' WHERE id = %s",
        [conversation_id],
    )

    dry = live_stack.manage("chat_expire", "--dry-run").stdout
    assert "Dry run, nothing deleted" in dry and "envelopes 1" in dry
    assert rows_left(live_stack, conversation_id)["chat_conversation"] == 1

    done = live_stack.manage("chat_expire").stdout
    assert "Deleted 1 expired conversations." in done
    assert (await told(pair.staff, conversation_id)).reason == "expiry"
    assert (await told(pair.visitor, conversation_id)).reason == "expiry"
    assert all(count == 0 for count in rows_left(live_stack, conversation_id).values())
    again = live_stack.manage("chat_expire").stdout
    assert "Deleted 0 expired conversations." in again
