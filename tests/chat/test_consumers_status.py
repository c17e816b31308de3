"""The staff side's frames on chat's sockets (ops/README.md): a visitor socket gets
`helpline.status` right after `hello` and whenever it changes; a staff socket relays
`staff.event`; routing and presence hooks fire from the real consumers. Interpreters
and visitors never get staff events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from chat.events import STAFF_GROUP, staff_user_group
from chat.protocol import frames as f
from ops.devices import services
from ops.models import Shift, StaffProfile
from ops.rota import selectors as rota
from ops.rota import services as rota_edits

pytestmark = pytest.mark.django_db(transaction=True)


def staff_profile(person, **routing) -> None:
    StaffProfile.objects.update_or_create(user=person.user, defaults={"public_label": "Infirmière"})
    services.staff_routing_set(user_id=person.user.pk, at=timezone.now(), **routing)


def shift_open_now(*people) -> None:
    """A one-off shift from an hour ago to an hour from now (helpline's zone)."""
    local = timezone.now().astimezone(rota.helpline_zone())
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    rota_edits.rota_entry_create(
        Shift,
        fields={"date": start.date(), "start": start.time(), "end": end.time(), "label": "Now"},
        staff_ids=[person.user.pk for person in people],
        at=timezone.now(),
    )


def shift_tomorrow(*people):
    local = timezone.now().astimezone(rota.helpline_zone()) + timedelta(days=1)
    start = local.replace(hour=14, minute=0, second=0, microsecond=0)
    rota_edits.rota_entry_create(
        Shift,
        fields={
            "date": start.date(),
            "start": start.time(),
            "end": start.replace(hour=17).time(),
            "label": "Tomorrow",
        },
        staff_ids=[person.user.pk for person in people],
        at=timezone.now(),
    )
    return start


async def first_frame_after_hello(sockets):
    socket = await sockets.visitor()
    return socket, await socket.receive()


# -- helpline.status -------------------------------------------------------------------------


async def test_a_visitor_is_told_right_after_hello_that_the_helpline_is_closed(sockets, db):
    socket, status = await first_frame_after_hello(sockets)
    assert status == f.HelplineStatus(open=False, someone_here=False, next_opening=None)
    assert await socket.nothing()


async def test_a_visitor_outside_hours_learns_when_the_next_shift_opens(sockets, staff):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    opening = await database_sync_to_async(shift_tomorrow)(staff)
    _, status = await first_frame_after_hello(sockets)
    assert status == f.HelplineStatus(
        open=False, someone_here=False, next_opening=int(opening.timestamp())
    )


async def test_a_visitor_is_told_someone_is_here_when_a_staff_dashboard_is_connected(
    sockets, helpline, staff
):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    await database_sync_to_async(shift_open_now)(staff)
    await sockets.staff(staff)
    _, status = await first_frame_after_hello(sockets)
    assert status == f.HelplineStatus(open=True, someone_here=True, next_opening=None)


async def test_an_open_shift_with_nobody_connected_is_open_but_nobody_is_here(sockets, staff):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    await database_sync_to_async(shift_open_now)(staff)
    _, status = await first_frame_after_hello(sockets)
    assert status == f.HelplineStatus(open=True, someone_here=False, next_opening=None)


async def test_a_connected_visitor_is_told_when_someone_on_shift_arrives(sockets, helpline, staff):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    await database_sync_to_async(shift_open_now)(staff)
    visitor, before = await first_frame_after_hello(sockets)
    assert before.someone_here is False
    await sockets.staff(staff)
    assert await visitor.receive_until(f.HelplineStatus) == f.HelplineStatus(
        open=True, someone_here=True, next_opening=None
    )


async def test_without_a_status_provider_a_visitor_gets_hello_only(sockets, settings):
    settings.CHAT_STATUS_PROVIDER = ""
    socket = await sockets.visitor()
    assert await socket.nothing()


# -- staff.event -----------------------------------------------------------------------------


async def test_a_staff_socket_relays_staff_events_sent_to_its_person_and_to_all_staff(
    sockets, helpline, staff
):
    socket = await sockets.staff(staff)
    await socket.drain()
    layer = get_channel_layer()
    message = {"type": "staff.event", "event": "shift.reminder", "data": {"minutes_left": 15}}
    await layer.group_send(staff_user_group(staff.user.pk), message)
    assert await socket.receive_until(f.StaffEvent) == f.StaffEvent(
        event="shift.reminder", data={"minutes_left": 15}
    )
    await layer.group_send(STAFF_GROUP, {**message, "event": "shift.changed", "data": {}})
    assert (await socket.receive_until(f.StaffEvent)).event == "shift.changed"


async def test_another_persons_events_do_not_reach_this_socket(sockets, helpline, staff, colleague):
    socket = await sockets.staff(staff)
    await socket.drain()
    await get_channel_layer().group_send(
        staff_user_group(colleague.user.pk),
        {"type": "staff.event", "event": "conversation.assigned", "data": {}},
    )
    assert await socket.nothing()


async def test_an_interpreter_socket_gets_no_staff_events(sockets, helpline, interpreter):
    socket = await sockets.staff(interpreter)
    await socket.drain()
    layer = get_channel_layer()
    await layer.group_send(
        STAFF_GROUP, {"type": "staff.event", "event": "queue.changed", "data": {}}
    )
    await layer.group_send(
        staff_user_group(interpreter.user.pk),
        {"type": "staff.event", "event": "shift.reminder", "data": {}},
    )
    assert await socket.nothing()


async def test_a_visitor_socket_gets_no_staff_events(sockets, db):
    socket = await sockets.visitor()
    await socket.receive()  # the status
    await get_channel_layer().group_send(
        STAFF_GROUP, {"type": "staff.event", "event": "queue.changed", "data": {}}
    )
    assert await socket.nothing()


# -- the hooks, through the real consumers ----------------------------------------------------


async def test_a_new_conversation_and_the_visitors_message_reach_staff_dashboards(
    sockets, helpline, staff
):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    dashboard = await sockets.staff(staff)
    await dashboard.drain()
    visitor_socket, visitor = await sockets.visitor_opened()
    # Opened but silent: not in the queue yet (issue 15), so no dashboard hears of it.
    assert not [
        frame
        for frame in await dashboard.drain(1.5)
        if isinstance(frame, f.StaffEvent) and frame.event == "queue.changed"
    ]
    ack = await visitor_socket.request(f.EnvelopeSend(envelope=visitor.seal("bonjour")))
    joined = await dashboard.receive_until(f.StaffEvent)
    assert joined.event == "queue.changed"
    assert (
        joined.data["conversation_id"],
        joined.data["state"],
        joined.data["visitor_last_order"],
    ) == (visitor.conversation_id, "waiting", ack.order)


async def test_a_staff_dashboard_counts_as_present_while_connected(sockets, helpline, staff):
    await database_sync_to_async(staff_profile)(staff, languages=["fr"])
    socket = await sockets.staff(staff)
    profile = await database_sync_to_async(StaffProfile.objects.get)(user=staff.user)
    assert profile.open_sockets == 1
    await socket.communicator.disconnect()
    profile = await database_sync_to_async(StaffProfile.objects.get)(user=staff.user)
    assert profile.open_sockets == 0
