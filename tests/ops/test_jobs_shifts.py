"""The shift job (ops/jobs.py): a shift opens (status, dashboards, auto-assign), nears its
end (reminders), ends (hand-over) — each once, even run twice or by two workers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from chat.jobs import jobs_load
from ops import jobs
from ops.models import Route, ShiftEvent
from ops.routing import presence
from ops.routing import services as routing
from tests.ops.conftest import AT, events_named, paris, shift_make

pytestmark = pytest.mark.django_db

OPENS = paris(2026, 6, 16, 14, 0, 10)
REMINDER = paris(2026, 6, 16, 16, 45, 5)
ENDED = paris(2026, 6, 16, 17, 0, 20)


def visitors_status(events: list) -> list[dict]:
    return [message for group, message in events if group == "visitors"]


def test_the_shift_job_is_one_of_the_periodic_jobs():
    assert "ops.jobs.shifts_job" in [job.name for job in jobs_load()]


def test_a_shift_opening_tells_visitors_and_dashboards_once(staff_on_shift, afternoon):
    presence.staff_socket(user_id=staff_on_shift.user.pk, event="seen", now=OPENS)
    events = jobs.shifts_tick(at=OPENS)
    (changed,) = events_named(events, "shift.changed")
    assert [shift["label"] for shift in changed["open"]] == ["Permanence de l'après-midi"]
    assert changed["open"][0]["staff"][0]["user_id"] == staff_on_shift.user.pk
    assert visitors_status(events) == [
        {"type": "helpline.status", "open": True, "someone_here": True, "next_opening": None}
    ]
    assert jobs.shifts_tick(at=OPENS + timedelta(seconds=30)) == []
    assert ShiftEvent.objects.filter(kind="opened").count() == 1


def test_a_conversation_that_waited_overnight_is_first_in_the_queue_when_the_shift_opens(
    visitor_opens, staff_on_shift, afternoon
):
    night = visitor_opens(at=paris(2026, 6, 15, 23, 30))
    morning = visitor_opens(at=paris(2026, 6, 16, 9))
    jobs.shifts_tick(at=OPENS)
    queue = [str(route.pk) for route in routing.queue(for_user=staff_on_shift.user)]
    assert queue == [night.conversation_id, morning.conversation_id]


def test_with_auto_assign_waiting_conversations_are_given_out_when_the_shift_opens(
    settings, visitor_opens, staff_on_shift, colleague_on_shift
):
    waiting = visitor_opens(at=paris(2026, 6, 16, 9))
    settings.HELPLINE_AUTO_ASSIGN = True
    for member in (staff_on_shift, colleague_on_shift):
        presence.staff_socket(user_id=member.user.pk, event="seen", now=OPENS)
    events = jobs.shifts_tick(at=OPENS)
    assert Route.objects.get(pk=waiting.conversation_id).state == "assigned"
    assert events_named(events, "conversation.assigned")


def test_staff_are_reminded_fifteen_minutes_before_their_shift_ends(staff_on_shift, afternoon):
    events = jobs.shifts_tick(at=REMINDER)
    (reminder,) = events_named(events, "shift.reminder")
    assert reminder == {"ends_at": int(paris(2026, 6, 16, 17).timestamp()), "minutes_left": 15}
    reminded = [group for group, message in events if message.get("event") == "shift.reminder"]
    assert reminded == [f"staff.user.{staff_on_shift.user.pk}"]
    assert (
        events_named(jobs.shifts_tick(at=REMINDER + timedelta(seconds=30)), "shift.reminder") == []
    )


def test_someone_whose_shift_carries_on_is_not_reminded(staff_on_shift, afternoon):
    shift_make(AT.date(), "17:00", "20:00", staff=[staff_on_shift], label="Soirée")
    assert events_named(jobs.shifts_tick(at=REMINDER), "shift.reminder") == []


def test_at_a_shifts_end_its_conversations_are_handed_over_once(
    visitor_opens, staff_on_shift, afternoon
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    events = jobs.shifts_tick(at=ENDED)
    route = Route.objects.get(pk=opened.conversation_id)
    assert (route.state, route.handed_over) == ("waiting", True)
    assert events_named(events, "queue.changed")[0]["handed_over"] is True
    assert visitors_status(events)[-1]["open"] is False
    assert ShiftEvent.objects.filter(kind="ended").count() == 1
    assert events_named(jobs.shifts_tick(at=ENDED + timedelta(seconds=30)), "queue.changed") == []


def test_at_a_shifts_end_those_still_on_shift_keep_their_conversations(
    visitor_opens, staff_on_shift, afternoon
):
    shift_make(AT.date(), "16:00", "20:00", staff=[staff_on_shift], label="Soirée")
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    jobs.shifts_tick(at=ENDED)
    assert Route.objects.get(pk=opened.conversation_id).state == "assigned"


def test_an_end_missed_while_the_worker_was_down_is_still_handed_over(
    visitor_opens, staff_on_shift, afternoon
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    jobs.shifts_tick(at=ENDED + timedelta(hours=6))
    assert Route.objects.get(pk=opened.conversation_id).state == "waiting"


def test_a_failed_action_is_rolled_back_and_done_on_the_next_run(
    visitor_opens, staff_on_shift, afternoon, monkeypatch
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    real = routing.routes_hand_over

    def broken(**arguments):
        real(**arguments)
        raise RuntimeError("database went away")

    monkeypatch.setattr(routing, "routes_hand_over", broken)
    jobs.shifts_tick(at=ENDED)
    assert Route.objects.get(pk=opened.conversation_id).state == "assigned"
    assert not ShiftEvent.objects.filter(kind="ended").exists()
    monkeypatch.setattr(routing, "routes_hand_over", real)
    jobs.shifts_tick(at=ENDED + timedelta(seconds=30))
    assert Route.objects.get(pk=opened.conversation_id).state == "waiting"


def test_the_job_publishes_its_events_after_commit(
    staff_on_shift, afternoon, in_memory_layer, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("visitors", channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.shifts_tick(at=OPENS)
    assert callbacks  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "helpline.status"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: no race to lose"
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_job_at_once_act_once(
    visitor_opens, staff_on_shift, afternoon, in_memory_layer
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    barrier = threading.Barrier(2)
    results: list[list] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(jobs.shifts_tick(at=ENDED))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    handed_over = [events_named(events, "queue.changed") for events in results]
    assert sorted(len(changes) for changes in handed_over) == [0, 1]
    assert ShiftEvent.objects.filter(kind="ended").count() == 1
    assert Route.objects.get(pk=opened.conversation_id).state == "waiting"
