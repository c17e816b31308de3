"""Team key rotation on the live stack (issue 7): two Daphne workers, Redis and
PostgreSQL, the Python reference clients. The staff device publishes a wrap key, the
coordinator makes version 2 (``manage.py helpline_keys``, as without a browser); the
staff client, reconnected, moves the live conversation to v2 with a signed ``rekey``
epoch; both sides keep talking in it; a new conversation starts under v2."""

from __future__ import annotations

import asyncio

import pytest

from chat.client import DeviceKeys

pytestmark = pytest.mark.integration


def team_version_of_current_epoch(stack, conversation_id: str) -> int:
    rows = stack.sql(
        "SELECT w.member_id FROM chat_wrap w JOIN chat_commit c ON w.commit_id = c.id"
        " JOIN chat_conversation v ON v.id = c.conversation_id"
        " WHERE v.id = %s AND c.epoch = v.current_epoch AND w.member_kind = 'team'",
        [conversation_id],
    )
    return int(rows[0][0])


async def test_a_live_conversation_moves_to_the_new_team_key_and_keeps_working(
    live_stack, pair_open, staff_device_path
):
    visitor_url, staff_url = live_stack.urls
    pair = await pair_open([visitor_url], [staff_url])
    await pair.say("visitor", "avant la rotation")
    await pair.say("staff", "bien reçu")
    await pair.wait_caught_up()
    before = team_version_of_current_epoch(live_stack, pair.conversation_id)

    live_stack.manage("helpline_keys", "publish-wrap-key", "--device-key", str(staff_device_path))
    admin_key = live_stack.demo_dir / "admin.key.json"
    made = live_stack.manage("helpline_keys", "create-team-key", "--admin-key", str(admin_key))
    assert f"team key v{before + 1} created, wrapped to 1 staff device(s)" in made.stdout

    # The staff browser's next start: its keys (with the wrap key) and device.ready.
    pair.staff.device = DeviceKeys.load(staff_device_path)
    await pair.staff.drop()
    for _ in range(200):
        if before + 1 in pair.staff.team_keys:
            break
        await asyncio.sleep(0.1)
    assert before + 1 in pair.staff.team_keys

    order = await pair.staff.rotate_epoch(pair.conversation_id)
    assert order is not None
    assert await pair.staff.rotate_epoch(pair.conversation_id) is None  # done
    assert team_version_of_current_epoch(live_stack, pair.conversation_id) == before + 1

    await pair.say("visitor", "après la rotation")
    await pair.say("staff", "toujours là")
    await pair.wait_caught_up()
    assert [m.text for m in pair.received("staff")][-1] == "après la rotation"
    assert [m.text for m in pair.received("visitor")][-1] == "toujours là"
    assert pair.visitor.conversations[pair.conversation_id].state.current_epoch == 1

    newcomer = await pair_open([staff_url], [visitor_url])
    assert team_version_of_current_epoch(live_stack, newcomer.conversation_id) == before + 1
