"""Issue 6, enforced by the keys: an interpreter joins with an epoch, leaves with the
next, and their keys open nothing before or after — checked against the ciphertexts the
server really stored. Also the server's side: it hands them nothing outside their
epochs, holds messages in the epochs they could read once they left, closes their
socket at once, and refuses commits adding a device nobody invited or certified.

Personas (tests/chat/conftest.py): ``staff`` (alice's device), ``interpreter`` (iris),
``pending_interpreter`` (pavel, never certified), a visitor through the real socket.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import selectors
from chat.client.state import ConversationState
from chat.crypto import commits, messages, suite1
from chat.crypto.errors import CryptoError
from chat.events import events_publish
from chat.models import Commit, Device, Envelope, Wrap
from chat.protocol import frames as f
from ops.interpreting import services as interpreting
from tests.chat.conftest import interpreter_invited

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Story:
    visitor_socket: object
    visitor: object
    staff_socket: object
    staff_view: ConversationState
    interpreter_socket: object
    interpreter_view: ConversationState
    request_id: int
    conversation_id: str


async def visitor_takes(story_visitor, socket, order: int) -> None:
    """The visitor's client accepts the commit at ``order`` (certs fetched as it does)."""
    commit = await socket.receive_until(f.CommitDelivered)
    while commit.order != order:
        commit = await socket.receive_until(f.CommitDelivered)
    ids = [m.id for m in commit.commit.members if m.kind == "device"] + [commit.commit.author]
    for cert in (await socket.request(f.CertsGet(device_ids=ids))).certs:
        story_visitor.state.cert_add(cert)
    story_visitor.state.commit_accept(commit.commit, commit.signature, commit.wrap)


async def submit(socket, signed):
    return await socket.request(
        f.CommitSubmit(
            conversation_id=signed.commit.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        )
    )


async def interpreter_joins(sockets, helpline, staff, interpreter) -> Story:
    """Epoch 0: the visitor writes (order 2). Iris accepts a request; alice's device makes
    epoch 1 adding her (order 3); iris and the visitor write in it (orders 4, 5)."""
    visitor_socket, visitor = await sockets.visitor_opened()
    cid = visitor.conversation_id
    await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("avant l'interprète")))
    staff_socket, staff_view = await sockets.staff_following(staff, helpline, cid)
    request = await database_sync_to_async(interpreter_invited)(interpreter, cid)
    cert = await staff_socket.request(f.CertsGet(device_ids=[interpreter.device_id]))
    staff_view.cert_add(cert.certs[0])
    joined = staff_view.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    assert (await submit(staff_socket, joined)).order == 3
    await visitor_takes(visitor, visitor_socket, 3)
    interpreter_socket, interpreter_view = await sockets.staff_following(interpreter, helpline, cid)
    ack = await interpreter_socket.request(
        f.EnvelopeSend(envelope=interpreter_view.seal("Здравейте".encode()))
    )
    assert ack.order == 4
    assert (
        await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("pendant")))
    ).order == 5
    return Story(
        visitor_socket,
        visitor,
        staff_socket,
        staff_view,
        interpreter_socket,
        interpreter_view,
        request.pk,
        cid,
    )


async def interpreter_leaves(story: Story, interpreter, reason: str = "left") -> None:
    """Iris leaves (``left``) or cora, the coordinator who asked, removes her."""

    def end():
        from ops.models import StaffProfile

        if reason == "left":
            user, profile = interpreter.user, None
        else:
            profile = StaffProfile.objects.select_related("user").get(user__username="cora")
            user = profile.user
        return interpreting.interpreter_end(
            request_id=story.request_id,
            reason=reason,
            user=user,
            profile=profile,
            at=timezone.now(),
        )

    _, news = await database_sync_to_async(end)()
    await events_publish(news)


async def epoch_without_them(story: Story, helpline) -> None:
    """A staff browser makes epoch 2 without the interpreter (order 6)."""
    left = story.staff_view.epoch_create(
        reason="member_remove",
        team=helpline.announcement,
        visitor_kem_pk=story.visitor.kem_public,
        interpreters=[],
    )
    assert (await submit(story.staff_socket, left)).order == 6
    await visitor_takes(story.visitor, story.visitor_socket, 6)


# -- the keys -------------------------------------------------------------------------------


def aad_of(envelope, commit_hash: bytes) -> bytes:
    return messages.message_aad(
        conversation_id=envelope.conversation_id,
        epoch=envelope.epoch,
        commit_hash=commit_hash,
        sender=envelope.sender,
        stream=envelope.stream,
        seq=envelope.seq,
        content_type=envelope.content_type,
    )


def interpreter_can_open(interpreter, conversation_id: str) -> tuple[set[int], set[int]]:
    """Everything the server stored for this conversation, attacked with the
    interpreter's private keys: which epochs' wraps open, and which envelopes decrypt
    under any secret they obtained. Real ciphertexts from the database, no client state."""
    own_key_id = suite1.key_id(interpreter.keys.kem_public)
    secrets: dict[int, bytes] = {}
    rows = list(Commit.objects.filter(conversation_id=conversation_id).order_by("epoch"))
    hashes = {row.epoch: bytes(row.commit_hash) for row in rows}
    for row in rows:
        for wrap in Wrap.objects.filter(commit=row):
            info = commits.wrap_info(
                conversation_id=conversation_id,
                epoch=row.epoch,
                key_id=own_key_id,
                commit_hash=hashes[row.epoch],
            )
            try:
                secrets[row.epoch] = suite1.hpke_open(
                    interpreter.keys.kem, info, bytes(wrap.ciphertext)
                )
            except Exception:  # noqa: BLE001, S112 — any failure means it does not open
                continue
    opened: set[int] = set()
    for envelope in Envelope.objects.filter(conversation_id=conversation_id):
        wire = selectors.envelope_object(envelope, conversation_id)
        for epoch, secret in secrets.items():
            # Every secret they hold, under the envelope's own epoch's commit hash and
            # under the one it was taken from: neither may decrypt another epoch.
            for digest in {hashes[envelope.epoch], hashes[epoch]}:
                try:
                    key, nonce_base = messages.message_keys(
                        secret,
                        conversation_id=conversation_id,
                        epoch=wire.epoch,
                        sender=wire.sender,
                        stream=wire.stream,
                    )
                    suite1.aead_decrypt(
                        key,
                        messages.message_nonce(nonce_base, wire.seq),
                        wire.ct,
                        aad_of(wire, digest),
                    )
                except Exception:  # noqa: BLE001, S112
                    continue
                opened.add(envelope.order)
    return set(secrets), opened


async def test_interpreter_keys_open_nothing_before_joining_or_after_leaving(
    sockets, helpline, staff, interpreter
):
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    await interpreter_leaves(story, interpreter)
    assert await story.interpreter_socket.close_code() == 4411
    await epoch_without_them(story, helpline)
    after = await story.visitor_socket.request(f.EnvelopeSend(envelope=story.visitor.seal("après")))
    assert after.order == 7
    staff_said = story.staff_view.seal(b"Merci")
    assert (await story.staff_socket.request(f.EnvelopeSend(envelope=staff_said))).order == 8

    epochs, orders = await database_sync_to_async(interpreter_can_open)(
        interpreter, story.conversation_id
    )
    assert epochs == {1}
    assert orders == {4, 5}  # the two messages of epoch 1; not 2 (before), not 7, 8 (after)
    # And the others can read everything of their own epochs.
    assert story.visitor.state.secrets.keys() >= {0, 1, 2}


def test_the_message_primitives_used_above_do_decrypt_with_the_right_secret(helpline, visitor, now):
    """Guards the attack above: with the right secret the same code path decrypts, so
    its failures are the keys', not the test's."""
    envelope = visitor.seal("bonjour")
    secret = visitor.state.secrets[0]
    digest = visitor.state.commits[0][1]
    key, nonce_base = messages.message_keys(
        secret,
        conversation_id=envelope.conversation_id,
        epoch=0,
        sender=envelope.sender,
        stream=envelope.stream,
    )
    padded = suite1.aead_decrypt(
        key,
        messages.message_nonce(nonce_base, envelope.seq),
        envelope.ct,
        aad_of(envelope, digest),
    )
    assert b"bonjour" in padded


# -- the server -----------------------------------------------------------------------------


async def test_the_server_gives_an_interpreter_nothing_outside_their_epochs(
    sockets, helpline, staff, interpreter
):
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    # While in: the backlog holds epoch 1 only (commit 3, envelopes 4, 5), with their wrap.
    backlog = await database_sync_to_async(selectors.backlog_page)(
        party=interpreter.party, conversation_id=story.conversation_id, after=0
    )
    assert [item.order for item in backlog] == [3, 4, 5]
    assert backlog[0].wrap is not None
    assert sorted(story.interpreter_view.commits) == [1]
    await interpreter_leaves(story, interpreter)
    await epoch_without_them(story, helpline)
    # After leaving: not even a subscription, from a new socket.
    again = await sockets.staff(interpreter)
    await again.refused(
        f.ConversationSubscribe(conversation_id=story.conversation_id, after=0), "forbidden"
    )
    backlog = await database_sync_to_async(selectors.backlog_page)(
        party=interpreter.party, conversation_id=story.conversation_id, after=5
    )
    assert backlog == []  # epoch 2 (order 6 on) is not theirs


async def test_messages_are_held_in_the_epochs_an_interpreter_left_until_the_next(
    sockets, helpline, staff, interpreter, settings
):
    settings.CHAT_EPOCH_GRACE_SECONDS = 3600  # even in the grace period
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    await interpreter_leaves(story, interpreter)
    await story.visitor_socket.refused(
        f.EnvelopeSend(envelope=story.visitor.seal("retenu")), "epoch_closed"
    )
    await story.staff_socket.refused(
        f.EnvelopeSend(envelope=story.staff_view.seal(b"retenu")), "epoch_closed"
    )
    await epoch_without_them(story, helpline)
    # The previous epoch's grace does not reopen an epoch the interpreter could read.
    old = story.visitor.state
    envelope = messages.message_seal(
        epoch_secret=old.secrets[1],
        commit_hash=old.commits[1][1],
        conversation_id=story.conversation_id,
        epoch=1,
        sender="visitor",
        stream=suite1.random_bytes(16),
        seq=0,
        content_type="text",
        content=b"late",
        sender_key=story.visitor.sig,
    )
    await story.visitor_socket.refused(f.EnvelopeSend(envelope=envelope), "epoch_closed")
    ack = await story.visitor_socket.request(f.EnvelopeSend(envelope=story.visitor.seal("ok")))
    assert isinstance(ack, f.Ack)


async def test_messages_in_an_old_epoch_after_the_grace_period_are_refused(
    sockets, helpline, staff, interpreter, settings
):
    settings.CHAT_EPOCH_GRACE_SECONDS = 0
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    old = story.visitor.state
    envelope = messages.message_seal(
        epoch_secret=old.secrets[0],
        commit_hash=old.commits[0][1],
        conversation_id=story.conversation_id,
        epoch=0,
        sender="visitor",
        stream=suite1.random_bytes(16),
        seq=0,
        content_type="text",
        content=b"late",
        sender_key=story.visitor.sig,
    )
    await story.visitor_socket.refused(f.EnvelopeSend(envelope=envelope), "epoch_closed")


async def test_a_removed_interpreter_s_socket_is_closed_at_once_and_gets_nothing_more(
    sockets, helpline, staff, interpreter
):
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    await story.interpreter_socket.drain()
    await interpreter_leaves(story, interpreter, reason="removed")
    assert await story.interpreter_socket.close_code() == 4411
    await epoch_without_them(story, helpline)
    await story.visitor_socket.request(f.EnvelopeSend(envelope=story.visitor.seal("après")))
    await story.visitor_socket.drain()
    # Nothing reached the closed socket: no frame queued after the close, and nothing
    # of the later epoch before it.
    assert story.interpreter_socket.communicator.output_queue.empty()
    # (close_code() keeps what came before the close as raw output: only the
    # `interpreter.ended` staff event, which says why.)
    before_close = [o["text"] for o in story.interpreter_socket.passed_over]
    assert all('"type":"staff.event"' in text for text in before_close), before_close


async def test_the_server_refuses_a_commit_adding_an_interpreter_nobody_invited(
    sockets, helpline, staff, interpreter
):
    visitor_socket, visitor = await sockets.visitor_opened()
    staff_socket, view = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    # Nobody invited her: the socket does not give her certificate; a client that has
    # it anyway (from an earlier conversation) tries.
    none = await staff_socket.request(f.CertsGet(device_ids=[interpreter.device_id]))
    assert none.certs == []
    view.cert_add(await database_sync_to_async(device_certificate)(interpreter.device_id))
    signed = view.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    refused = await staff_socket.request(
        f.CommitSubmit(
            conversation_id=visitor.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        )
    )
    assert (type(refused), refused.code) == (f.Error, "bad_commit")


def test_a_commit_adding_an_uncertified_device_is_refused_by_visitor_and_staff_clients(
    helpline, visitor, staff, pending_interpreter, view_as
):
    """Whatever a (malicious) server relays: the clients check every device member
    against an interpreter certificate signed by the pinned admin key."""
    author = view_as(staff, visitor.conversation_id)
    forged = author.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[pending_interpreter.member("interpreter:bg")],
    )
    visitor.state.cert_add(staff.device().certificate())
    visitor_wrap = forged.wraps[1]
    with pytest.raises(CryptoError, match="interpreter certificate"):
        visitor.state.commit_accept(forged.commit, forged.signature, visitor_wrap)
    assert 1 not in visitor.state.secrets
    colleague_view = view_as(staff, visitor.conversation_id)
    with pytest.raises(CryptoError, match="interpreter certificate"):
        colleague_view.commit_accept(forged.commit, forged.signature, forged.wraps[0])
    assert 1 not in colleague_view.secrets


# -- from the wrong side ------------------------------------------------------------------


async def test_an_interpreter_cannot_open_another_conversation(
    sockets, helpline, staff, interpreter
):
    story = await interpreter_joins(sockets, helpline, staff, interpreter)
    other_socket, other = await sockets.visitor_opened()
    await story.interpreter_socket.refused(
        f.ConversationSubscribe(conversation_id=other.conversation_id, after=0), "forbidden"
    )
    await story.interpreter_socket.refused(
        f.EnvelopeSend(envelope=other.seal("intrus")), "not_subscribed"
    )
    await story.interpreter_socket.refused(f.ConversationList(), "forbidden")


async def test_an_interpreter_socket_is_offered_requests_and_nothing_of_the_staff(
    sockets, helpline, interpreter
):
    from channels.layers import get_channel_layer

    from chat.events import STAFF_GROUP, interpreter_user_group

    socket = await sockets.staff(interpreter)
    await socket.drain()
    offer = {"request_id": 1, "language": "bg", "expires_at": 0}
    layer = get_channel_layer()
    await layer.group_send(
        interpreter_user_group(interpreter.user.pk),
        {"type": "staff.event", "event": "interpreter.offered", "data": offer},
    )
    await layer.group_send(
        STAFF_GROUP, {"type": "staff.event", "event": "queue.changed", "data": {}}
    )
    received = await socket.receive()
    assert (received.event, received.data) == ("interpreter.offered", offer)
    assert await socket.nothing()


def device_certificate(device_id: str):
    return Device.objects.get(pk=device_id).certificate()
