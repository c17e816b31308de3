"""Return codes on the live stack (issue 7): two Daphne workers, Redis and PostgreSQL,
the Python reference clients. A visitor on one worker makes a code; a new client with
only the code comes back through the other worker, gets the whole history, writes, and
the staff read it. Turned off, the code is answered like one that never existed, and the
wrong guesses are counted in Redis as a number per minute, nothing else."""

from __future__ import annotations

import asyncio

import pytest

from chat.client import VisitorClient
from chat.client.connection import ServerRefused
from chat.crypto import return_code as rc

pytestmark = pytest.mark.integration


async def texts_of(client, count: int, timeout: float = 20) -> list[tuple[str, str]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(client.history) < count:
        assert loop.time() < deadline, client.history
        await asyncio.sleep(0.05)
    return [(m.sender, m.content.decode()) for m in client.history]


async def refusal(urls: list[str], code: str, admin_fingerprint: bytes) -> tuple[str, str]:
    with pytest.raises(ServerRefused) as refused:
        await VisitorClient.from_return_code(urls, code, admin_fingerprint=admin_fingerprint)
    return refused.value.code, str(refused.value)


async def test_a_code_made_on_one_worker_reopens_the_conversation_on_the_other(
    live_stack, pair_open, admin_fingerprint
):
    first_url, second_url = live_stack.urls
    pair = await pair_open([first_url], [first_url])
    await pair.say("visitor", "est-ce que je peux revenir plus tard ?")
    await pair.say("staff", "oui, avec un code")
    await pair.wait_caught_up()
    code = await pair.visitor.return_code_make()
    stored = live_stack.sql(
        "SELECT lookup_hmac FROM chat_returncode WHERE conversation_id = %s",
        [pair.conversation_id],
    )
    assert len(stored) == 1 and bytes(stored[0][0]) != rc.code_keys(code).lookup

    back = await VisitorClient.from_return_code(
        [second_url], rc.code_display(code), admin_fingerprint=admin_fingerprint
    )
    try:
        await back.start()
        staff_id = pair.staff.device.device_id
        assert await texts_of(back, 2) == [
            ("visitor", "est-ce que je peux revenir plus tard ?"),
            (staff_id, "oui, avec un code"),
        ]
        await back.say("me revoilà, depuis un autre téléphone")
        # The staff's history holds what they received: the visitor's two messages.
        seen_by_staff = await texts_of(pair.staff, 2)
        assert seen_by_staff[-1] == ("visitor", "me revoilà, depuis un autre téléphone")
    finally:
        await back.stop()

    await pair.visitor.return_code_revoke()
    revoked = await refusal([second_url], code, admin_fingerprint)
    never = await refusal([first_url], rc.code_generate(), admin_fingerprint)
    assert revoked == never
    assert revoked[0] == "unauthorized"
    counters = live_stack.redis_cli("KEYS", "helpline:return-code-lookups:*").split()
    assert counters
    assert all(live_stack.redis_cli("GET", key).strip().isdigit() for key in counters)
