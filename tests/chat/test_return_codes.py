"""Return codes (issue 7, docs/protocol.md §10) over the real ASGI application: the
server keeps HMAC(pepper, lookup) and a sealed state, never the code; a code reopens the
conversation on a new socket with its whole history; wrong, revoked, replaced, deleted
and expired codes are answered alike; guesses are slowed, from one socket and from
many. Wrong side: another visitor, a socket that opened nothing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import msgspec
import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat import return_code_limits as limits
from chat.crypto import return_code as rc
from chat.crypto import suite1
from chat.expiry import conversations_expire
from chat.models import ReturnCode
from chat.protocol import frames as f
from chat.return_code_limits import memory_budget
from chat.services.return_codes import return_code_pepper

pytestmark = pytest.mark.django_db(transaction=True)

PEPPER = "a-test-pepper-of-more-than-thirty-two-characters"


@pytest.fixture(autouse=True)
def pepper_and_limits(settings):
    settings.RETURN_CODE_PEPPER = PEPPER
    memory_budget.second = None
    yield
    memory_budget.second = None


def return_state(visitor) -> rc.ReturnState:
    return rc.ReturnState(
        conversation_id=visitor.conversation_id,
        token=visitor.token,
        kem_scalar=suite1.private_scalar(visitor.kem),
        kem_pk=visitor.kem_public,
        sig_scalar=suite1.private_scalar(visitor.sig),
        sig_pk=visitor.sig_public,
    )


async def code_set(socket, visitor) -> tuple[str, rc.CodeKeys]:
    """What the widget does on "Get a code": make, derive, seal, send."""
    code = rc.code_generate()
    keys = rc.code_keys(code)
    answer = await socket.request(
        f.ReturnCodeSet(
            conversation_id=visitor.conversation_id,
            lookup=keys.lookup,
            sealed=rc.state_seal(keys, return_state(visitor)),
        )
    )
    assert answer == f.ReturnCodeSaved(ref=answer.ref, conversation_id=visitor.conversation_id)
    return code, keys


def without_ref(frame) -> dict:
    return {k: v for k, v in msgspec.to_builtins(frame).items() if k != "ref"}


async def open_answer(sockets, lookup: bytes):
    socket = await sockets.visitor()
    return await socket.request(f.ReturnCodeOpen(lookup=lookup))


@database_sync_to_async
def stored() -> list[tuple[bytes, bytes]]:
    return [(bytes(r.lookup_hmac), bytes(r.sealed)) for r in ReturnCode.objects.all()]


@database_sync_to_async
def database_text() -> bytes:
    """Every cell of every table, as bytes (to look for what must not be there)."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for cell in row:
                    raw = bytes(cell) if isinstance(cell, memoryview | bytes) else str(cell)
                    cells.append(raw if isinstance(raw, bytes) else raw.encode())
    return b"\n".join(cells)


async def test_the_server_keeps_the_lookups_hmac_never_the_code_or_the_lookup(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()

    code, keys = await code_set(socket, visitor)

    [(lookup_hmac, sealed)] = await stored()
    assert lookup_hmac == hmac.new(PEPPER.encode(), keys.lookup, hashlib.sha256).digest()
    assert rc.state_open(keys, sealed) == return_state(visitor)
    everything = await database_text()
    for secret in (code.encode(), keys.lookup, keys.key, keys.lookup.hex().encode()):
        assert secret not in everything


async def test_the_code_reopens_the_conversation_with_its_history_on_a_new_socket(
    sockets, helpline
):
    socket, visitor = await sockets.visitor_opened()
    sent = visitor.seal("je reviendrai")
    await socket.request(f.EnvelopeSend(envelope=sent))
    code, _ = await code_set(socket, visitor)

    # Another phone: only the code, typed with spaces.
    phone = await sockets.visitor()
    keys = rc.code_keys(rc.code_display(code))
    found = await phone.request(f.ReturnCodeOpen(lookup=keys.lookup))
    state = rc.state_open(keys, found.sealed)
    resumed = await phone.request(f.ConversationResume(token=state.token, after=0))

    assert resumed.conversation_id == visitor.conversation_id
    backlog = [await phone.receive() for _ in range(3)]
    assert [type(item) for item in backlog] == [f.CommitDelivered, f.EnvelopeDelivered, f.SyncDone]
    assert backlog[1].envelope == sent
    # The keys came back: the visitor's wrap of epoch 0 opens with them.
    commit = backlog[0]
    reopened = visitor.state_start(
        conversation_id=state.conversation_id, admin_pk=helpline.admin_pk
    )
    reopened.open_keys = {
        suite1.key_id(state.kem_pk): suite1.private_key_from_scalar(state.kem_scalar)
    }
    reopened.commit_accept(commit.commit, commit.signature, commit.wrap)
    assert reopened.envelope_open(backlog[1].envelope, 2).content == b"je reviendrai"


async def test_wrong_revoked_replaced_deleted_and_expired_codes_get_one_same_answer(
    sockets, helpline, now
):
    answers = []
    answers.append(await open_answer(sockets, rc.code_keys(rc.code_generate()).lookup))

    socket, visitor = await sockets.visitor_opened()
    _, revoked = await code_set(socket, visitor)
    await socket.request(f.ReturnCodeRevoke(conversation_id=visitor.conversation_id))
    answers.append(await open_answer(sockets, revoked.lookup))

    _, replaced = await code_set(socket, visitor)
    _, current = await code_set(socket, visitor)
    answers.append(await open_answer(sockets, replaced.lookup))
    assert isinstance(await open_answer(sockets, current.lookup), f.ReturnCodeFound)

    await socket.request(f.ConversationDelete(conversation_id=visitor.conversation_id))
    answers.append(await open_answer(sockets, current.lookup))

    expiring_socket, expiring = await sockets.visitor_opened()
    _, expired = await code_set(expiring_socket, expiring)
    assert await database_sync_to_async(conversations_expire)(now=now + timedelta(days=31)) == 1
    answers.append(await open_answer(sockets, expired.lookup))

    assert all(isinstance(answer, f.Error) for answer in answers)
    assert [without_ref(a) for a in answers] == [without_ref(answers[0])] * 5
    assert answers[0].code == "unauthorized"
    assert await stored() == []


async def test_a_new_pepper_turns_every_code_off(sockets, helpline, settings):
    socket, visitor = await sockets.visitor_opened()
    _, keys = await code_set(socket, visitor)
    before = return_code_pepper()
    settings.RETURN_CODE_PEPPER = PEPPER + "-rotated"
    assert return_code_pepper() != before
    assert (await open_answer(sockets, keys.lookup)).code == "unauthorized"


async def test_another_visitor_cannot_set_or_revoke_my_code(sockets, helpline):
    mine, visitor = await sockets.visitor_opened()
    _, keys = await code_set(mine, visitor)
    theirs, _ = await sockets.visitor_opened()

    await theirs.refused(
        f.ReturnCodeSet(
            conversation_id=visitor.conversation_id, lookup=bytes(32), sealed=bytes(100)
        ),
        "forbidden",
    )
    await theirs.refused(f.ReturnCodeRevoke(conversation_id=visitor.conversation_id), "forbidden")
    assert isinstance(await open_answer(sockets, keys.lookup), f.ReturnCodeFound)


async def test_a_socket_that_opened_nothing_cannot_set_a_code(sockets, helpline, visitor):
    socket = await sockets.visitor()
    await socket.refused(
        f.ReturnCodeSet(
            conversation_id=visitor.conversation_id, lookup=bytes(32), sealed=bytes(100)
        ),
        "not_authenticated",
    )


async def test_a_burst_of_guesses_on_one_socket_is_slowed(sockets, helpline, settings):
    settings.CHAT_RETURN_CODE_TRIES_BURST = 3
    socket = await sockets.visitor()
    answers = [
        await socket.request(f.ReturnCodeOpen(lookup=rc.code_keys(rc.code_generate()).lookup))
        for _ in range(5)
    ]
    assert [a.code for a in answers] == ["unauthorized"] * 3 + ["rate_limited"] * 2
    assert all(a.retry_after_ms > 0 for a in answers[3:])


class OneSecond(limits.MemoryBudget):
    """The budget of one second that does not pass while the test runs."""

    async def take(self, second: int) -> int:
        return await super().take(0)


async def test_guesses_from_many_sockets_are_slowed_and_never_say_which_code_existed(
    sockets, helpline, settings, monkeypatch
):
    """An attacker with a fresh socket per guess: the lookups of every socket together
    are limited. Once the second's budget is spent, a real code gets the very answer a
    wrong one gets; before it, a code that once existed (revoked) answers like one that
    never did."""
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 4
    settings.CHAT_RETURN_CODE_QUEUE = 0
    budget = OneSecond()
    monkeypatch.setattr(limits, "budget_store", lambda: budget)
    owner, visitor = await sockets.visitor_opened()
    _, once = await code_set(owner, visitor)
    await owner.request(f.ReturnCodeRevoke(conversation_id=visitor.conversation_id))
    _, real = await code_set(owner, visitor)

    guesses = [once.lookup] + [rc.code_keys(rc.code_generate()).lookup for _ in range(3)]
    before_limit = [await open_answer(sockets, lookup) for lookup in guesses]
    after_limit = [
        await open_answer(sockets, lookup) for lookup in (real.lookup, guesses[1], once.lookup)
    ]

    assert [without_ref(a) for a in before_limit] == [without_ref(before_limit[0])] * 4
    assert before_limit[0].code == "unauthorized"
    assert {a.code for a in after_limit} == {"rate_limited"}
    assert len({without_ref(a)["message"] for a in after_limit}) == 1
    assert all(0 < a.retry_after_ms <= 1_000 for a in after_limit)
