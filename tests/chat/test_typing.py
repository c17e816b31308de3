"""`typing` (docs/protocol.md §6.5): "someone is writing", end-to-end encrypted like any
event, relayed to the conversation's other sockets at once, never stored, content-free
and rate limited."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from chat.consumers import base
from chat.models import Envelope
from chat.protocol import frames as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TYPING = json.dumps({"kind": "typing"}).encode()


def stored_envelopes(conversation_id: str) -> int:
    return Envelope.objects.filter(conversation_id=conversation_id).count()


async def test_the_visitor_typing_reaches_the_staff_and_is_not_stored(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, state = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await socket.send(f.TypingSend(envelope=visitor.state.seal(TYPING, "event")))

    relayed = await staff_socket.receive_until(f.Typing)
    assert relayed.conversation_id == visitor.conversation_id
    assert relayed.envelope.sender == "visitor"
    assert state.envelope_open(relayed.envelope, 0).content == TYPING
    # Not echoed to its sender.
    assert not [frame for frame in await socket.drain() if isinstance(frame, f.Typing)]
    assert await database_sync_to_async(stored_envelopes)(visitor.conversation_id) == 0


async def test_the_staff_typing_reaches_the_visitor(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, state = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    # A staff client shows its profile before it first types: the device has written in
    # the conversation, so the visitor may have its certificate to check the signature.
    profile = json.dumps({"kind": "profile", "label": "Infirmière"}).encode()
    await staff_socket.request(f.EnvelopeSend(envelope=state.seal(profile, "event")))
    await staff_socket.send(f.TypingSend(envelope=state.seal(TYPING, "event")))

    relayed = await socket.receive_until(f.Typing)
    assert relayed.envelope.sender == staff.device_id
    [cert] = (await socket.request(f.CertsGet(device_ids=[staff.device_id]))).certs
    visitor.state.cert_add(cert)
    opened = visitor.state.envelope_open(relayed.envelope, 0)
    assert json.loads(opened.content) == {"kind": "typing"}


async def test_a_typing_frame_with_content_in_it_is_refused(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    longer = visitor.state.seal(b'{"kind": "typing", "draft": "' + b"x" * 300 + b'"}', "event")
    await socket.refused(f.TypingSend(envelope=longer), "forbidden")
    as_text = visitor.state.seal(b"hello", "text")
    await socket.refused(f.TypingSend(envelope=as_text), "forbidden")
    assert not [frame for frame in await staff_socket.drain() if isinstance(frame, f.Typing)]


async def test_typing_in_another_partys_name_is_refused(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, state = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    # A staff device cannot pass itself off as the visitor (nor the reverse).
    forged = visitor.state.seal(TYPING, "event")
    await staff_socket.refused(f.TypingSend(envelope=forged), "forbidden")
    assert not [frame for frame in await socket.drain() if isinstance(frame, f.Typing)]


async def test_typing_beyond_the_rate_is_dropped_without_an_answer(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    for _ in range(base.TYPING_BURST + 3):
        await socket.send(f.TypingSend(envelope=visitor.state.seal(TYPING, "event")))
    await socket.still_usable()  # nothing refused: the extra ones went nowhere
    relayed = [frame for frame in await staff_socket.drain(0.5) if isinstance(frame, f.Typing)]
    assert len(relayed) == base.TYPING_BURST
