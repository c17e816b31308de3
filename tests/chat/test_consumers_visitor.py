"""The visitor endpoint, /ws/visitor (chat/consumers/visitor.py and base.py), driven
through the real ASGI application (config/asgi.py) — docs/protocol.md §7, §8."""

from __future__ import annotations

import logging
import uuid

import msgspec
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chat.crypto import suite1
from chat.crypto.encoding import b64encode
from chat.models import Conversation, Envelope
from chat.news import NEWS_GROUP
from chat.protocol import frames as f
from tests.chat.conftest import visitor_keys

pytestmark = pytest.mark.django_db(transaction=True)

LONG = 65536


@database_sync_to_async
def envelope_count(conversation_id: str) -> int:
    return Envelope.objects.filter(conversation_id=conversation_id).count()


# -- connecting -------------------------------------------------------------------------


async def test_a_visitor_socket_is_greeted_with_hello(sockets):
    socket = await sockets.visitor()
    assert (socket.hello.protocol, socket.hello.suites, socket.hello.max_frame) == (1, [1], LONG)
    assert socket.hello.nonce is None


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"null",
        None,
        # Same host, another port or scheme: another origin.
        b"http://127.0.0.1:1",
        b"https://127.0.0.1",
        b"http://localhost",
    ],
)
async def test_a_socket_from_a_foreign_or_missing_origin_is_refused(sockets, origin):
    connected, socket = await sockets.connect("/ws/visitor", origin=origin)
    assert not connected
    assert await socket.nothing()


async def test_a_socket_that_never_authenticates_is_closed(sockets, monkeypatch):
    monkeypatch.setattr("chat.consumers.base.AUTH_TIMEOUT_SECONDS", 0.2)
    socket = await sockets.visitor()
    assert await socket.close_code() == 4408


async def test_a_helpline_that_is_not_set_up_answers_unavailable(sockets, admin):
    socket = await sockets.visitor()
    visitor_kem, visitor_sig = suite1.private_key_generate(), suite1.private_key_generate()
    await socket.refused(
        f.ConversationOpen(
            suite=1,
            language="fr",
            campaign=None,
            visitor_kem_pk=suite1.public_bytes(visitor_kem),
            visitor_sig_pk=suite1.public_bytes(visitor_sig),
            pow=await socket.pow(),
        ),
        "unavailable",
    )


# -- the happy path ---------------------------------------------------------------------


async def test_a_visitor_opens_commits_and_sends_and_subscribed_staff_get_the_ciphertext(
    sockets, helpline, staff
):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    assert reader.current_epoch == 0

    envelope = visitor.seal("Bonjour, je voudrais parler à quelqu'un")
    ack = await socket.request(f.EnvelopeSend(envelope=envelope))
    assert (ack.conversation_id, ack.order, ack.duplicate) == (visitor.conversation_id, 2, False)

    delivered = await staff_socket.receive_until(f.EnvelopeDelivered)
    assert delivered.order == 2
    assert delivered.envelope == envelope  # the ciphertext, byte for byte
    message = reader.envelope_open(delivered.envelope, delivered.order)
    assert message.text == "Bonjour, je voudrais parler à quelqu'un"
    # The sender is not sent its own envelope back; its first message put the
    # conversation in the queue (issue 15), which it is told.
    route = await socket.receive_until(f.ConversationRoute)
    assert route.state == "waiting"
    assert await socket.nothing()


async def test_staff_devices_hear_that_a_conversation_opened(sockets, helpline, staff):
    staff_socket = await sockets.staff(staff)
    _, visitor = await sockets.visitor_opened()
    activity = await staff_socket.receive_until(f.ConversationActivity)
    assert (activity.conversation_id, activity.event, activity.last_order) == (
        visitor.conversation_id,
        "opened",
        1,
    )


async def test_the_same_envelope_sent_again_is_acknowledged_once_and_delivered_once(
    sockets, helpline, staff
):
    socket, visitor = await sockets.visitor_opened()
    staff_socket = await sockets.staff(staff)
    await staff_socket.request(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=1)
    )
    envelope = visitor.seal("hello")
    first = await socket.request(f.EnvelopeSend(envelope=envelope))
    again = await socket.request(f.EnvelopeSend(envelope=envelope))
    assert (again.order, again.duplicate) == (first.order, True)
    delivered = [
        frame for frame in await staff_socket.drain() if isinstance(frame, f.EnvelopeDelivered)
    ]
    assert [frame.order for frame in delivered] == [first.order]
    assert await envelope_count(visitor.conversation_id) == 1


async def test_a_visitor_syncs_its_own_conversation(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    for text in ("un", "deux"):  # orders 2 and 3
        await socket.request(f.EnvelopeSend(envelope=visitor.seal(text)))
    done = await socket.request(f.Sync(conversation_id=visitor.conversation_id, after=2))
    assert (type(done), done.last_order) == (f.SyncDone, 3)
    synced = [frame for frame in socket.passed_over if isinstance(frame, f.EnvelopeDelivered)]
    assert [frame.order for frame in synced] == [3]


# -- reconnection -----------------------------------------------------------------------


async def test_a_visitor_resumes_and_gets_exactly_what_came_after(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    for text in ("un", "deux", "trois"):  # orders 2, 3, 4
        await socket.request(f.EnvelopeSend(envelope=visitor.seal(text)))
    await socket.communicator.disconnect()

    again = await sockets.visitor()
    resumed = await again.request(f.ConversationResume(token=visitor.token, after=2))
    assert isinstance(resumed, f.ConversationResumed), resumed
    assert (resumed.conversation_id, resumed.state, resumed.current_epoch) == (
        visitor.conversation_id,
        "open",
        0,
    )
    assert resumed.last_order == 4
    assert resumed.admin_pk == helpline.admin_pk
    assert resumed.team_key == helpline.announcement
    backlog = [await again.receive(), await again.receive()]
    assert [type(frame) for frame in backlog] == [f.EnvelopeDelivered, f.EnvelopeDelivered]
    assert [frame.order for frame in backlog] == [3, 4]
    done = await again.receive()
    assert isinstance(done, f.SyncDone)
    assert (done.ref, done.last_order) == (resumed.ref, 4)
    # Then where the conversation stands with the team (ops/routing/visitor_route.py).
    assert await again.receive() == f.ConversationRoute(
        conversation_id=visitor.conversation_id, state="waiting", ahead=0
    )
    assert await again.nothing()
    opened = visitor.state.envelope_open(backlog[1].envelope, backlog[1].order)
    assert opened.text == "trois"


async def test_a_resumed_visitor_from_zero_gets_its_commit_with_its_own_wrap(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    await socket.communicator.disconnect()
    again = await sockets.visitor()
    await again.request(f.ConversationResume(token=visitor.token, after=0))
    commit = await again.receive()
    assert isinstance(commit, f.CommitDelivered)
    assert commit.wrap.key_id == suite1.key_id(visitor.kem_public)
    assert isinstance(await again.receive(), f.SyncDone)


async def test_a_resumed_socket_receives_live_items(sockets, helpline, staff):
    _, visitor = await sockets.visitor_opened()
    again = await sockets.visitor()
    await again.request(f.ConversationResume(token=visitor.token, after=0))
    await again.receive_until(f.SyncDone)
    staff_socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    ack = await staff_socket.request(f.EnvelopeSend(envelope=reader.seal(b"On vous lit.")))
    delivered = await again.receive_until(f.EnvelopeDelivered)
    assert delivered.order == ack.order
    assert delivered.envelope.sender == staff.device_id


async def test_a_wrong_token_is_unauthorized_and_the_socket_stays_unauthenticated(
    sockets, helpline
):
    _, visitor = await sockets.visitor_opened()
    socket = await sockets.visitor()
    await socket.refused(f.ConversationResume(token=bytes(32), after=0), "unauthorized")
    await socket.refused(f.Ping(), "not_authenticated")
    resumed = await socket.request(f.ConversationResume(token=visitor.token, after=0))
    assert isinstance(resumed, f.ConversationResumed)


async def test_the_token_of_a_deleted_conversation_is_unauthorized(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    await database_sync_to_async(
        lambda: Conversation.objects.filter(pk=visitor.conversation_id).delete()
    )()
    again = await sockets.visitor()
    wrong = await again.refused(f.ConversationResume(token=bytes(32), after=0), "unauthorized")
    deleted = await again.refused(
        f.ConversationResume(token=visitor.token, after=0), "unauthorized"
    )
    assert wrong.message == deleted.message


# -- before and after authenticating ----------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["ping", "envelope.send", "commit.submit", "sync", "receipt", "certs.get"]
)
async def test_frames_before_open_or_resume_are_not_authenticated(
    sockets, helpline, frame_examples, kind
):
    socket = await sockets.visitor()
    frame = dict(frame_examples[kind], ref="early")
    error = await socket.refused(frame, "not_authenticated")
    assert error.ref == "early"
    socket_then_opens = await socket.request(
        f.ConversationOpen(
            suite=1,
            language="fr",
            campaign=None,
            visitor_kem_pk=suite1.public_bytes(suite1.private_key_generate()),
            visitor_sig_pk=suite1.public_bytes(suite1.private_key_generate()),
            pow=await socket.pow(),
        )
    )
    assert isinstance(socket_then_opens, f.ConversationOpened)


async def test_a_second_open_or_a_resume_on_an_open_socket_is_already_authenticated(
    sockets, helpline, frame_examples
):
    socket, visitor = await sockets.visitor_opened()
    await socket.refused(frame_examples["conversation.open"], "already_authenticated")
    await socket.refused(
        f.ConversationResume(token=visitor.token, after=0), "already_authenticated"
    )
    await socket.still_usable()


# -- the wrong side: another visitor's conversation -------------------------------------


async def test_the_schema_is_checked_before_the_commit_rules(sockets, helpline):
    """One wrap for two members fails the frame's schema (2–16 wraps): `bad_frame`, before
    §5.4's rules; an epoch 0 with another reason than `open` is well formed but breaks
    them: `bad_commit` (docs/protocol.md §5.4, the order of the checks)."""
    socket = await sockets.visitor()
    visitor = visitor_keys()
    opened = await socket.request(
        f.ConversationOpen(
            suite=1,
            language="fr",
            campaign=None,
            visitor_kem_pk=visitor.kem_public,
            visitor_sig_pk=visitor.sig_public,
            pow=await socket.pow(),
        )
    )
    visitor.state_start(conversation_id=opened.conversation_id, admin_pk=opened.admin_pk)
    signed = visitor.epoch_zero(opened.team_key)
    submit = {
        "type": "commit.submit",
        "ref": "one-wrap",
        "conversation_id": opened.conversation_id,
        "commit": msgspec.to_builtins(signed.commit),
        "signature": b64encode(signed.signature),
        "wraps": msgspec.to_builtins(signed.wraps[:1]),
    }
    error = await socket.refused(submit, "bad_frame")
    assert error.ref == "one-wrap"
    rekey = msgspec.structs.replace(signed.commit, reason="rekey")
    await socket.refused(
        f.CommitSubmit(
            conversation_id=opened.conversation_id,
            commit=rekey,
            signature=signed.signature,
            wraps=signed.wraps,
        ),
        "bad_commit",
    )


async def test_a_visitor_cannot_send_into_another_conversation(sockets, other_visitor):
    socket, _ = await sockets.visitor_opened()
    await socket.refused(f.EnvelopeSend(envelope=other_visitor.seal("intrus")), "forbidden")
    await socket.still_usable()
    assert await envelope_count(other_visitor.conversation_id) == 0


async def test_a_visitor_cannot_sync_another_conversation(sockets, other_visitor):
    socket, _ = await sockets.visitor_opened()
    await socket.refused(
        f.Sync(conversation_id=other_visitor.conversation_id, after=0), "forbidden"
    )
    await socket.still_usable()
    theirs = [
        frame
        for frame in socket.passed_over
        if getattr(frame, "conversation_id", None) == other_visitor.conversation_id
    ]
    assert theirs == []


async def test_a_visitor_cannot_commit_or_mark_receipts_in_another_conversation(
    sockets, other_visitor, helpline
):
    socket, _ = await sockets.visitor_opened()
    other_visitor.state.secrets.clear()
    other_visitor.state.commits.clear()
    signed = other_visitor.epoch_zero(helpline.announcement)
    await socket.refused(
        f.CommitSubmit(
            conversation_id=other_visitor.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        ),
        "forbidden",
    )
    await socket.refused(
        f.ReceiptSend(conversation_id=other_visitor.conversation_id, kind="read", order=1),
        "forbidden",
    )
    await socket.still_usable()


async def test_a_visitor_gets_no_certificates_of_devices_outside_its_conversation(
    sockets, helpline, staff, colleague
):
    socket, visitor = await sockets.visitor_opened()
    certs = await socket.request(f.CertsGet(device_ids=[staff.device_id, colleague.device_id]))
    assert isinstance(certs, f.Certs)
    assert certs.certs == []

    # Once alice writes in the conversation, her certificate is the visitor's to check.
    staff_socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await staff_socket.request(f.EnvelopeSend(envelope=reader.seal(b"Bonjour")))
    certs = await socket.request(f.CertsGet(device_ids=[staff.device_id, colleague.device_id]))
    assert [cert.device_id for cert in certs.certs] == [staff.device_id]


# -- refused frames and floods ----------------------------------------------------------


async def test_an_oversized_frame_is_too_large_and_the_socket_stays_usable(sockets, helpline):
    socket, _ = await sockets.visitor_opened()
    await socket.send('{"type": "ping", "ref": "big"}' + " " * LONG)
    error = await socket.receive_until(f.Error)
    assert error.code == "too_large"
    await socket.still_usable()


async def test_a_binary_frame_is_a_bad_frame_and_the_socket_stays_usable(sockets, helpline):
    socket, _ = await sockets.visitor_opened()
    await socket.send_bytes(b'{"type": "ping"}')
    assert (await socket.receive_until(f.Error)).code == "bad_frame"
    await socket.still_usable()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_frame"),
        ('{"type": "ping", "ref": "r", "colour": "blue"}', "bad_frame"),
        ('{"type": "device.auth", "ref": "r"}', "unknown_type"),
        ('{"type": "ping", "ref": "r", "x": ' + "[" * 3000 + "]" * 3000 + "}", "bad_frame"),
    ],
)
async def test_a_malformed_frame_is_refused_and_the_socket_stays_usable(
    sockets, helpline, text, code
):
    socket, _ = await sockets.visitor_opened()
    await socket.send(text)
    assert (await socket.receive_until(f.Error)).code == code
    await socket.still_usable()


async def test_a_flood_is_answered_with_rate_limited_and_a_retry_time(sockets, helpline, settings):
    settings.CHAT_RATE_BURST = 4
    settings.CHAT_RATE_PER_SECOND = 1
    socket, _ = await sockets.visitor_opened()  # two frames of the burst
    for number in range(10):
        await socket.send(f.Ping(ref=f"p{number}"))
    answers = []
    while len(answers) < 10:
        frame = await socket.receive()
        if isinstance(frame, f.Pong | f.Error):
            answers.append(frame)
    errors = [frame for frame in answers if isinstance(frame, f.Error)]
    # The refusals are immediate and may overtake the answer to an earlier frame.
    assert any(isinstance(frame, f.Pong) and frame.ref == "p0" for frame in answers)
    assert len(errors) >= 5  # at most a token or two come back while the test runs
    assert {error.code for error in errors} == {"rate_limited"}
    assert all(0 < error.retry_after_ms <= 1000 for error in errors)
    # Each refusal names the frame it refused, so a client knows what to send again.
    assert {error.ref for error in errors} <= {f"p{number}" for number in range(10)}
    assert all(error.ref for error in errors)


async def test_a_hundred_refused_frames_close_the_socket(sockets, helpline, settings):
    settings.CHAT_RATE_BURST = 2
    settings.CHAT_RATE_PER_SECOND = 1
    socket, _ = await sockets.visitor_opened()  # uses up the burst
    for _ in range(99):
        await socket.send("not json")
    for _ in range(99):
        assert (await socket.receive_until(f.Error)).code in {"rate_limited", "bad_frame"}
    assert await socket.nothing()
    await socket.send("not json")
    assert isinstance(await socket.receive_until(f.Error), f.Error)
    assert await socket.close_code() == 4429


async def test_a_flood_that_gets_a_frame_through_now_and_then_is_still_closed(
    sockets, helpline, settings
):
    """Every few refused frames one goes through and is answered: refusals never came a
    hundred in a row, yet three in four frames were refused. The ratio closes it."""
    settings.CHAT_RATE_BURST = 1000
    socket, _ = await sockets.visitor_opened()
    for _ in range(33):  # 99 refusals, 33 answers: under the minimum of 100
        for _ in range(3):
            await socket.send("not json")
        assert isinstance(await socket.request(f.Ping()), f.Pong)
    await socket.send("not json")
    assert await socket.close_code() == 4429


async def test_refusals_among_mostly_accepted_frames_do_not_close(sockets, helpline, settings):
    settings.CHAT_RATE_BURST = 1000
    socket, _ = await sockets.visitor_opened()
    for _ in range(150):
        await socket.send("not json")
        await socket.still_usable()
    for _ in range(150):
        assert (await socket.receive_until(f.Error)).code == "bad_frame"
    await socket.still_usable()


async def test_an_internal_error_is_answered_and_logged_without_its_message(
    sockets, helpline, monkeypatch, caplog
):
    # Made at run time, so it is in the exception's message and nowhere in the source
    # lines a traceback quotes.
    secret = uuid.uuid4().hex

    def broken(**_):
        raise RuntimeError(f"row value {secret}")

    monkeypatch.setattr("chat.consumers.base.envelope_submit", broken)
    # The chat logger does not propagate to the root logger, where caplog listens.
    monkeypatch.setattr(logging.getLogger("chat"), "propagate", True)
    socket, visitor = await sockets.visitor_opened()
    with caplog.at_level(logging.ERROR, logger="chat.consumers.base"):
        error = await socket.refused(f.EnvelopeSend(envelope=visitor.seal("x")), "internal")
    assert secret not in error.message
    assert "RuntimeError" in caplog.text
    assert secret not in caplog.text
    await socket.still_usable()
    assert await envelope_count(visitor.conversation_id) == 0


async def test_closed_sockets_leave_every_group(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket = await sockets.staff(staff)
    await staff_socket.request(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=0)
    )
    layer = get_channel_layer()
    assert layer.groups
    await socket.communicator.disconnect()
    await staff_socket.communicator.disconnect()
    # The process's own news listener (chat/news.py) is no socket's.
    assert {group: c for group, c in layer.groups.items() if group != NEWS_GROUP} == {}


async def test_one_conversation_has_a_bounded_number_of_open_sockets(sockets, helpline, settings):
    settings.CHAT_SOCKETS_PER_TOKEN = 2
    first, visitor = await sockets.visitor_opened()
    second = await sockets.visitor()
    resumed = await second.request(f.ConversationResume(token=visitor.token, after=1))
    assert isinstance(resumed, f.ConversationResumed)
    third = await sockets.visitor()
    refused = await third.request(f.ConversationResume(token=visitor.token, after=1))
    assert (refused.code, refused.retry_after_ms) == ("rate_limited", 5000)
    await first.communicator.disconnect()
    again = await third.request(f.ConversationResume(token=visitor.token, after=1))
    assert isinstance(again, f.ConversationResumed)
