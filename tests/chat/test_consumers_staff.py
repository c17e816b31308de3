"""The staff endpoint, /ws/staff (chat/consumers/staff.py and base.py), driven through the
real ASGI application (config/asgi.py) — docs/protocol.md §8.3."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import keyring
from chat.crypto import certs, suite1
from chat.protocol import frames as f
from tests.chat.conftest import TEAM_KEY_DAYS, interpreter_invited, visitor_keys

pytestmark = pytest.mark.django_db(transaction=True)


# -- who may connect --------------------------------------------------------------------


async def test_an_anonymous_staff_socket_is_closed_with_4401_and_told_nothing(sockets):
    connected, socket = await sockets.connect("/ws/staff")
    assert connected  # accepted only to say why, with a close code
    assert await socket.close_code() == 4401
    assert socket.passed_over == []
    assert await socket.nothing()


async def test_a_garbage_session_cookie_is_anonymous(sockets):
    connected, socket = await sockets.connect("/ws/staff", cookie="sessionid=not-a-session")
    assert await socket.close_code() == 4401
    assert socket.passed_over == []


def deactivate(user) -> None:
    type(user).objects.filter(pk=user.pk).update(is_active=False)


async def test_a_deactivated_users_session_is_closed_with_4401(sockets, staff, login):
    cookie = await login(staff)
    await database_sync_to_async(
        lambda: type(staff.user).objects.filter(pk=staff.user.pk).update(is_active=False)
    )()
    connected, socket = await sockets.connect("/ws/staff", cookie=cookie)
    assert await socket.close_code() == 4401
    assert socket.passed_over == []


async def test_a_staff_socket_from_a_foreign_origin_is_refused(sockets, staff, login):
    connected, socket = await sockets.connect(
        "/ws/staff", cookie=await login(staff), origin=b"https://evil.example"
    )
    assert not connected


async def test_a_logged_in_socket_is_greeted_with_a_fresh_nonce(sockets, staff, login):
    cookie = await login(staff)
    first = await sockets.greeted("/ws/staff", cookie=cookie)
    second = await sockets.greeted("/ws/staff", cookie=cookie)
    assert len(first.hello.nonce) == 32
    assert first.hello.nonce != second.hello.nonce
    assert first.hello.max_frame == 65536


# -- device.auth ------------------------------------------------------------------------


async def test_a_certified_device_gets_its_certificate_and_team_key(
    sockets, device_auth, helpline, staff, login
):
    socket = await sockets.greeted("/ws/staff", cookie=await login(staff))
    ready = await socket.request(device_auth(staff, socket.hello.nonce))
    assert isinstance(ready, f.DeviceReady)
    assert (ready.device_id, ready.role, ready.admin_pk) == (
        staff.device_id,
        "staff",
        helpline.admin_pk,
    )
    certs.cert_verify(ready.cert, admin_pk=ready.admin_pk, now=0)
    [team] = ready.team_keys
    assert team.wrap.kem_pk == staff.keys.kem_public  # the key it is sealed to, named
    opened = certs.team_wrap_open(
        team.wrap.ct,
        device_kem_key=staff.keys.kem,
        device_id=staff.device_id,
        announcement=team.announcement,
    )
    assert suite1.public_bytes(opened) == helpline.announcement.pk


async def test_device_ready_names_the_kem_key_each_team_wrap_is_sealed_to(
    sockets, device_auth, helpline, staff, login, now
):
    """After a rotation the new version is sealed to the wrap key the device published,
    not to its certificate's KEM key: a client that took the certificate's would fail
    from the first rotation on (docs/protocol.md §4.4)."""

    def rotate() -> None:
        keyring.wrap_key_publish(keys=staff.keys, now=now)
        keyring.team_key_create(admin=helpline.admin, days=TEAM_KEY_DAYS, now=now)

    await database_sync_to_async(rotate)()
    socket = await sockets.greeted("/ws/staff", cookie=await login(staff))
    ready = await socket.request(device_auth(staff, socket.hello.nonce))
    first, second = ready.team_keys
    assert first.wrap.kem_pk == staff.keys.kem_public
    [wrap_key] = staff.keys.wrap_keys
    assert second.wrap.kem_pk == suite1.public_bytes(wrap_key) != staff.keys.kem_public
    opened = staff.keys.team_wrap_open(
        second.wrap.ct, second.announcement, kem_pk=second.wrap.kem_pk
    )
    assert suite1.public_bytes(opened) == second.announcement.pk


@pytest.fixture(params=["pending_staff", "revoked_staff"])
def uncertified(request):
    """A device that is pending, or was revoked: logged in, holding its key, refused."""
    return request.getfixturevalue(request.param)


async def test_a_pending_or_revoked_device_can_read_nothing(
    sockets, device_auth, helpline, login, uncertified
):
    person = uncertified
    socket = await sockets.greeted("/ws/staff", cookie=await login(person))
    error = await socket.refused(device_auth(person, socket.hello.nonce), "device_not_certified")
    assert error.ref is not None
    await socket.refused(f.ConversationList(), "not_authenticated")
    await socket.refused(f.Ping(), "not_authenticated")
    _, visitor = await sockets.visitor_opened()
    await socket.refused(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=0),
        "not_authenticated",
    )
    await socket.refused(
        f.Sync(conversation_id=visitor.conversation_id, after=0), "not_authenticated"
    )
    # Not even the activity of a conversation that opened meanwhile reaches it.
    assert socket.passed_over == []
    assert await socket.nothing()


async def test_device_auth_checks_the_signature_before_the_certificate(
    sockets, device_auth, helpline, login, uncertified
):
    """A wrong signature is `unauthorized` whatever the device's state: only a device
    that proved its key learns that it is not certified (docs/protocol.md §8.3)."""
    socket = await sockets.greeted("/ws/staff", cookie=await login(uncertified))
    await socket.refused(device_auth(uncertified, bytes(32)), "unauthorized")
    await socket.refused(device_auth(uncertified, socket.hello.nonce), "device_not_certified")


async def test_another_users_device_is_unauthorized(
    sockets, device_auth, helpline, staff, colleague, login
):
    socket = await sockets.greeted("/ws/staff", cookie=await login(staff))
    # Even signed with bob's own key, bob's device does not belong to alice's session.
    await socket.refused(device_auth(colleague, socket.hello.nonce), "unauthorized")
    await socket.refused(f.ConversationList(), "not_authenticated")


async def test_a_signature_over_another_nonce_is_unauthorized(
    sockets, device_auth, helpline, staff, login
):
    socket = await sockets.greeted("/ws/staff", cookie=await login(staff))
    await socket.refused(device_auth(staff, bytes(32)), "unauthorized")
    # The right signature still works on the same socket afterwards.
    assert isinstance(await socket.request(device_auth(staff, socket.hello.nonce)), f.DeviceReady)


async def test_a_nonce_of_another_socket_is_unauthorized(
    sockets, device_auth, helpline, staff, login
):
    cookie = await login(staff)
    first = await sockets.greeted("/ws/staff", cookie=cookie)
    second = await sockets.greeted("/ws/staff", cookie=cookie)
    await second.refused(device_auth(staff, first.hello.nonce), "unauthorized")


@pytest.mark.parametrize("kind", ["conversation.list", "conversation.subscribe", "ping", "sync"])
async def test_frames_before_device_auth_are_not_authenticated(
    sockets, helpline, staff, login, frame_examples, kind
):
    socket = await sockets.greeted("/ws/staff", cookie=await login(staff))
    error = await socket.refused(dict(frame_examples[kind], ref="early"), "not_authenticated")
    assert error.ref == "early"


async def test_a_second_device_auth_is_already_authenticated(sockets, device_auth, helpline, staff):
    socket = await sockets.staff(staff)
    await socket.refused(device_auth(staff, socket.hello.nonce), "already_authenticated")
    await socket.still_usable()


async def test_visitor_frames_are_unknown_on_the_staff_endpoint(
    sockets, helpline, staff, frame_examples
):
    socket = await sockets.staff(staff)
    await socket.refused(frame_examples["conversation.open"], "unknown_type")
    await socket.still_usable()


# -- listing and following conversations ------------------------------------------------


async def test_staff_list_conversations_newest_activity_first(sockets, helpline, staff):
    first_socket, first = await sockets.visitor_opened()
    _, second = await sockets.visitor_opened()
    await first_socket.request(f.EnvelopeSend(envelope=first.seal("encore moi")))
    socket = await sockets.staff(staff)
    listed = await socket.request(f.ConversationList())
    assert [c.conversation_id for c in listed.conversations] == [
        first.conversation_id,
        second.conversation_id,
    ]
    assert (listed.conversations[0].last_order, listed.conversations[0].current_epoch) == (2, 0)
    assert listed.conversations[0].state == "open"


async def test_a_conversation_without_a_commit_has_a_null_current_epoch(sockets, helpline, staff):
    """Epochs are 0 … 2^32 − 1 on the wire (§2.2): "no epoch yet" is null, never -1."""
    visitor_socket = await sockets.visitor()
    visitor = visitor_keys()
    opened = await visitor_socket.request(
        f.ConversationOpen(
            suite=1,
            language="fr",
            campaign=None,
            visitor_kem_pk=visitor.kem_public,
            visitor_sig_pk=visitor.sig_public,
            pow=await visitor_socket.pow(),
        )
    )
    socket = await sockets.staff(staff)
    listed = await socket.request(f.ConversationList())
    assert [(c.conversation_id, c.current_epoch) for c in listed.conversations] == [
        (opened.conversation_id, None)
    ]
    state = await socket.request(
        f.ConversationSubscribe(conversation_id=opened.conversation_id, after=0)
    )
    assert (state.current_epoch, state.last_order) == (None, 0)


async def test_subscribing_sends_state_then_backlog_then_sync_done(sockets, helpline, staff):
    visitor_socket, visitor = await sockets.visitor_opened()
    await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("bonjour")))
    socket = await sockets.staff(staff)
    state = await socket.request(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=0)
    )
    assert isinstance(state, f.ConversationState)
    assert (state.state, state.language, state.current_epoch, state.last_order) == (
        "open",
        "fr",
        0,
        2,
    )
    assert (state.visitor_kem_pk, state.visitor_sig_pk) == (visitor.kem_public, visitor.sig_public)
    commit = await socket.receive()
    assert isinstance(commit, f.CommitDelivered)
    # Staff devices read through the team key: their wrap is the team member's.
    assert commit.wrap.key_id == suite1.key_id(helpline.announcement.pk)
    envelope = await socket.receive()
    assert (type(envelope), envelope.order) == (f.EnvelopeDelivered, 2)
    done = await socket.receive()
    assert (type(done), done.ref, done.last_order) == (f.SyncDone, state.ref, 2)


async def test_a_staff_reply_reaches_the_visitor_who_can_read_it(sockets, helpline, staff):
    visitor_socket, visitor = await sockets.visitor_opened()
    socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    ack = await socket.request(f.EnvelopeSend(envelope=reader.seal("On vous écoute.".encode())))
    assert ack.order == 2
    delivered = await visitor_socket.receive_until(f.EnvelopeDelivered)
    assert delivered.order == 2
    answer = await visitor_socket.request(f.CertsGet(device_ids=[staff.device_id]))
    visitor.state.cert_add(answer.certs[0])
    assert (
        visitor.state.envelope_open(delivered.envelope, delivered.order).text == "On vous écoute."
    )


async def test_receipts_reach_the_other_side(sockets, helpline, staff):
    visitor_socket, visitor = await sockets.visitor_opened()
    socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await socket.send(f.ReceiptSend(conversation_id=visitor.conversation_id, kind="read", order=1))
    receipt = await visitor_socket.receive_until(f.Receipt)
    assert (receipt.kind, receipt.order, receipt.by) == ("read", 1, "staff")


async def test_frames_about_a_conversation_not_subscribed_are_refused(
    sockets, helpline, staff, visitor, view_as
):
    reply = await database_sync_to_async(view_as)(staff, visitor.conversation_id)
    socket = await sockets.staff(staff)
    conversation_id = visitor.conversation_id
    await socket.refused(f.EnvelopeSend(envelope=reply.seal(b"coucou")), "not_subscribed")
    await socket.refused(f.Sync(conversation_id=conversation_id, after=0), "not_subscribed")
    await socket.refused(
        f.ReceiptSend(conversation_id=conversation_id, kind="read", order=1), "not_subscribed"
    )
    signed = reply.epoch_create(
        reason="rekey",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[],
    )
    await socket.refused(
        f.CommitSubmit(
            conversation_id=conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        ),
        "not_subscribed",
    )
    await socket.still_usable()


async def test_after_unsubscribing_live_items_stop(sockets, helpline, staff):
    visitor_socket, visitor = await sockets.visitor_opened()
    socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    ack = await socket.request(f.ConversationUnsubscribe(conversation_id=visitor.conversation_id))
    assert (type(ack), ack.order) == (f.Ack, 0)
    await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("personne ?")))
    assert not [frame for frame in await socket.drain() if isinstance(frame, f.EnvelopeDelivered)]


async def test_subscribing_to_an_unknown_conversation_is_forbidden(sockets, helpline, staff):
    socket = await sockets.staff(staff)
    await socket.refused(
        f.ConversationSubscribe(conversation_id="00000000-0000-4000-8000-000000000000", after=0),
        "forbidden",
    )
    await socket.still_usable()


async def test_ping_reports_the_last_order_of_followed_conversations(sockets, helpline, staff):
    visitor_socket, visitor = await sockets.visitor_opened()
    socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("un")))
    pong = await socket.request(f.Ping())
    assert pong.last_orders == {visitor.conversation_id: 2}


# -- epochs through the socket ----------------------------------------------------------


async def interpreter_added(sockets, helpline, staff, interpreter):
    """A visitor wrote once; alice's device then made epoch 1 adding iris (order 3)."""
    visitor_socket, visitor = await sockets.visitor_opened()
    await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("avant l'interprète")))
    socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    # Invited first: staff get the certificate of an interpreter admitted to the
    # conversation, not of any device.
    await database_sync_to_async(interpreter_invited)(interpreter, visitor.conversation_id)
    cert = await socket.request(f.CertsGet(device_ids=[interpreter.device_id]))
    reader.cert_add(cert.certs[0])
    signed = reader.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    ack = await socket.request(
        f.CommitSubmit(
            conversation_id=visitor.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        )
    )
    assert (type(ack), ack.order) == (f.Ack, 3)
    return visitor_socket, visitor, signed


async def test_a_staff_device_adds_an_interpreter_who_then_reads_only_its_epoch(
    sockets, helpline, staff, interpreter
):
    visitor_socket, visitor, signed = await interpreter_added(sockets, helpline, staff, interpreter)
    # The visitor receives the commit with its own wrap and can follow the chain.
    commit = await visitor_socket.receive_until(f.CommitDelivered)
    while commit.order != 3:
        commit = await visitor_socket.receive_until(f.CommitDelivered)
    assert commit.wrap.key_id == suite1.key_id(visitor.kem_public)
    device_ids = [staff.device_id, interpreter.device_id]
    for device_cert in (await visitor_socket.request(f.CertsGet(device_ids=device_ids))).certs:
        visitor.state.cert_add(device_cert)
    visitor.state.commit_accept(commit.commit, commit.signature, commit.wrap)
    assert visitor.state.secrets[1] == signed.epoch_secret

    # The interpreter sees epoch 1 and nothing from before it joined.
    interpreter_socket, interpreter_view = await sockets.staff_following(
        interpreter, helpline, visitor.conversation_id
    )
    assert interpreter_view.secrets == {1: signed.epoch_secret}
    assert sorted(interpreter_view.commits) == [1]
    assert interpreter_socket.passed_over == []
    ack = await interpreter_socket.request(
        f.EnvelopeSend(envelope=interpreter_view.seal(b"Zdravei"))
    )
    assert ack.order == 4
    delivered = await visitor_socket.receive_until(f.EnvelopeDelivered)
    assert visitor.state.envelope_open(delivered.envelope, delivered.order).text == "Zdravei"


async def test_an_interpreter_cannot_make_an_epoch(sockets, helpline, staff, interpreter):
    _, visitor, _ = await interpreter_added(sockets, helpline, staff, interpreter)
    socket, view = await sockets.staff_following(interpreter, helpline, visitor.conversation_id)
    signed = view.epoch_create(
        reason="rekey",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[],
    )
    await socket.refused(
        f.CommitSubmit(
            conversation_id=visitor.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        ),
        "forbidden",
    )
    await socket.still_usable()


async def test_an_interpreter_cannot_list_conversations(sockets, helpline, interpreter):
    socket = await sockets.staff(interpreter)
    await socket.refused(f.ConversationList(), "forbidden")
    await socket.still_usable()


async def test_an_interpreter_cannot_follow_a_conversation_that_does_not_list_it(
    sockets, helpline, interpreter
):
    _, visitor = await sockets.visitor_opened()
    socket = await sockets.staff(interpreter)
    await socket.refused(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=0), "forbidden"
    )
    await socket.refused(f.Sync(conversation_id=visitor.conversation_id, after=0), "not_subscribed")
    await socket.still_usable()


async def test_an_interpreter_is_not_told_of_activity(sockets, helpline, interpreter):
    socket = await sockets.staff(interpreter)
    await sockets.visitor_opened()
    assert await socket.drain() == []


async def test_a_staff_socket_gets_certificates_only_of_devices_of_its_conversations(
    sockets, helpline, staff, colleague
):
    """Bob's device wrote nowhere alice's socket follows: she does not get his
    certificate (nobody enumerates the staff's devices); once he wrote in a conversation
    she follows, she does (she verifies his messages with it)."""
    _visitor_socket, visitor = await sockets.visitor_opened()
    socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    ask = f.CertsGet(device_ids=[colleague.device_id, staff.device_id])
    assert (await socket.request(ask)).certs == []
    await socket.request(f.EnvelopeSend(envelope=reader.seal(b"alice")))
    await database_sync_to_async(wrote_in)(colleague, visitor.conversation_id)
    answer = await socket.request(ask)
    assert sorted(cert.device_id for cert in answer.certs) == sorted(
        [colleague.device_id, staff.device_id]
    )


def wrote_in(person, conversation_id: str) -> None:
    """``person``'s device stored an envelope in the conversation (as its socket would)."""
    from chat.models import Conversation, Envelope

    conversation = Conversation.objects.get(pk=conversation_id)
    Envelope.objects.create(
        conversation=conversation,
        order=conversation.last_order + 1,
        epoch=0,
        sender=person.device_id,
        stream=b"\x02" * 16,
        seq=0,
        content_type="text",
        ciphertext=b"\x00" * 272,
        signature=b"\x00" * 64,
        received_at=timezone.now(),
    )
    Conversation.objects.filter(pk=conversation_id).update(last_order=conversation.last_order + 1)
