"""Security decisions reach open sockets when their fan-out is lost (Redis down): a
revoked device, an ended session, a blocked conversation and an interpreter past their
time limit are stopped by the socket's own re-check at its next frame, and a socket
that only listens by the notices every process reads (chat/notices.py).

The fan-out is "lost" by making the publishing of the decisions do nothing: what is
left is what the database says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import notices
from chat.models import Device, Notice
from chat.protocol import frames as f
from ops.auth import sessions
from ops.auth.models import StaffSession
from ops.routing import abuse
from tests.chat.conftest import interpreter_invited

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fan_out_lost(monkeypatch, settings):
    """Nothing published reaches a socket; every frame re-checks its party."""
    monkeypatch.setattr(notices, "events_publish_on_commit", lambda events: None)
    settings.CHAT_PARTY_RECHECK_SECONDS = 0


@database_sync_to_async
def device_revoke(person) -> None:
    sessions.staff_device_revoke(device_id=person.device_id, actor=person.user, now=timezone.now())


async def deliver_new_notices(since: int = 0) -> int:
    """What one pass of `notices_follow` does in this process."""
    rows = await database_sync_to_async(notices.notices_after)(since)
    for _pk, group, message in rows:
        await notices.notice_deliver(group, message)
    return len(rows)


async def test_a_device_revoked_without_fan_out_is_stopped_at_its_next_frame(
    sockets, helpline, staff, fan_out_lost
):
    socket, _ = await sockets.visitor_opened()
    staff_socket = await sockets.staff(staff)
    await device_revoke(staff)
    await staff_socket.send(f.Ping(ref="after"))
    assert await staff_socket.close_code() == 4403
    assert not any("pong" in str(frame) for frame in staff_socket.passed_over)


async def test_a_listening_socket_of_a_revoked_device_is_closed_by_the_notice(
    sockets, helpline, staff, fan_out_lost
):
    staff_socket = await sockets.staff(staff)
    await device_revoke(staff)
    assert await staff_socket.nothing()  # the fan-out was lost
    assert await deliver_new_notices() == 2  # the device, then the session it proved
    assert await staff_socket.close_code() == 4403


async def test_every_process_follows_the_notices_table(
    sockets, helpline, staff, fan_out_lost, settings
):
    settings.CHAT_NOTICES_POLL_SECONDS = 0.05
    staff_socket = await sockets.staff(staff)
    last = await database_sync_to_async(notices.notices_last)()
    follower = asyncio.create_task(notices.notices_follow(last))
    try:
        await device_revoke(staff)
        assert await staff_socket.close_code() == 4403
    finally:
        follower.cancel()


async def test_a_session_ended_without_fan_out_is_stopped_at_its_next_frame(
    sockets, helpline, staff, fan_out_lost
):
    staff_socket = await sockets.staff(staff)

    @database_sync_to_async
    def sign_out_everywhere():
        sessions.sessions_end(list(StaffSession.objects.filter(user=staff.user)))

    await sign_out_everywhere()
    await staff_socket.send(f.Ping(ref="after"))
    assert await staff_socket.close_code() == 4401


async def test_an_envelope_of_a_device_revoked_meanwhile_is_not_stored(
    sockets, helpline, staff, settings, monkeypatch
):
    """Even within the re-check's few seconds: the statement that stores an envelope
    takes it only from a certified device."""
    monkeypatch.setattr(notices, "events_publish_on_commit", lambda events: None)
    settings.CHAT_PARTY_RECHECK_SECONDS = 3600
    socket, visitor = await sockets.visitor_opened()
    _staff_socket, state = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await database_sync_to_async(Device.objects.filter(pk=staff.device_id).update)(
        state=Device.State.REVOKED, revoked_at=timezone.now()
    )
    refused = await _staff_socket.request(f.EnvelopeSend(envelope=state.seal(b"after")))
    assert isinstance(refused, f.Error) and refused.code == "device_not_certified"


async def test_a_block_without_fan_out_closes_the_visitor_at_its_next_frame(
    sockets, helpline, staff, fan_out_lost
):
    socket, visitor = await sockets.visitor_opened()
    # Its first message puts it in the queue (issue 15), where staff can block it.
    await socket.request(f.EnvelopeSend(envelope=visitor.seal("bonjour")))

    @database_sync_to_async
    def block():
        from ops.models import StaffProfile

        StaffProfile.objects.update_or_create(user=staff.user, defaults={"is_coordinator": True})
        return abuse.conversation_block(
            conversation_id=visitor.conversation_id, user=staff.user, at=timezone.now()
        )

    await block()  # its events are not published: lost
    await socket.send(f.Ping(ref="after"))
    error = await socket.receive_until(f.Error)
    assert error.code == "conversation_closed"
    assert await socket.close_code() == 4403
    assert await database_sync_to_async(Notice.objects.count)() == 1


async def test_an_interpreter_socket_closes_itself_at_the_time_limit(
    sockets, helpline, staff, interpreter, monkeypatch
):
    """The periodic job that ends assignments does not run here: the socket keeps the
    limit it read at subscribe, and closes (4411) when it comes."""
    socket, visitor = await sockets.visitor_opened()
    cid = visitor.conversation_id
    await database_sync_to_async(interpreter_invited)(interpreter, cid)
    _staff_socket, view = await sockets.staff_following(staff, helpline, cid)
    cert = await _staff_socket.request(f.CertsGet(device_ids=[interpreter.device_id]))
    view.cert_add(cert.certs[0])
    joined = view.epoch_create(
        reason="member_add",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[interpreter.member("interpreter:bg")],
    )
    await _staff_socket.request(
        f.CommitSubmit(
            conversation_id=cid,
            commit=joined.commit,
            signature=joined.signature,
            wraps=joined.wraps,
        )
    )
    monkeypatch.setattr(
        "chat.consumers.staff.interpreter_admitted_until",
        lambda **kwargs: timezone.now() + timedelta(seconds=0.5),
    )
    iris, _ = await sockets.staff_following(interpreter, helpline, cid)
    assert await iris.close_code() == 4411
