"""Interpreter requests (issue 6): staff ask for a language, interpreters on call for it
are offered it, the first to accept wins, the others are told; cancel, timeout, leave,
removal and the time limit; the audit log; and the wrong side of every permission.

Personas: ``coordinator`` (alice, asks — a coordinator may for any conversation),
``nurse`` (bob, staff without the conversation), ``interpreter`` (iris, Bulgarian, on
call), ``second_interpreter`` (ivan, Bulgarian, on call), ``off_call_interpreter``
(olga, Bulgarian, not on call), ``russian_interpreter`` (rita, on call, Russian only).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import Action, AuditEntry
from chat.events import STAFF_GROUP, interpreter_user_group, staff_device_group
from chat.models import Conversation
from ops.interpreting import services
from ops.interpreting.models import InterpreterRequest
from ops.models import StaffProfile
from tests.ops.conftest import member_make

State = InterpreterRequest.State


def interpreter_on_call(member, *, languages=("bg",), minutes=60):
    StaffProfile.objects.filter(user=member.user).update(
        languages=list(languages), on_call_until=timezone.now() + timedelta(minutes=minutes)
    )
    return member


@pytest.fixture
def iris(interpreter, certify, now):
    """The ``interpreter`` persona on call for Bulgarian, with a certified device."""
    interpreter_on_call(interpreter)
    interpreter.keys = interpreter.device_register(now=now, role="interpreter")
    certify(interpreter.keys)
    return interpreter


@pytest.fixture
def ivan(db, certify, now):
    member = interpreter_on_call(member_make("ivan", is_interpreter=True))
    member.keys = member.device_register(now=now, role="interpreter")
    certify(member.keys)
    return member


@pytest.fixture
def olga(db):
    member = member_make("olga", is_interpreter=True)
    StaffProfile.objects.filter(user=member.user).update(languages=["bg"])
    return member


@pytest.fixture
def rita(db):
    return interpreter_on_call(member_make("rita", is_interpreter=True), languages=["ru"])


@pytest.fixture
def conversation_id(visitor_opens) -> str:
    return visitor_opens(language="bg", at=timezone.now()).conversation_id


def profile_of(member) -> StaffProfile:
    return StaffProfile.objects.get(user=member.user)


def post(member, url, body=None):
    return member.client.post(url, json.dumps(body or {}), content_type="application/json")


def ask(member, conversation_id, language="bg"):
    return post(member, f"/staff/api/routes/{conversation_id}/interpreter", {"language": language})


def accept(member, request_id):
    return post(
        member, f"/staff/api/interpreting/{request_id}/accept", {"device_id": member.keys.device_id}
    )


def round_trip(events):
    return json.loads(json.dumps(events))


def to_groups(events, name):
    return [g for g, m in round_trip(events) if m.get("event") == name]


# -- the request -------------------------------------------------------------------------


def test_a_request_is_offered_to_interpreters_on_call_for_that_language_only(
    coordinator, iris, ivan, olga, rita, conversation_id
):
    profile = profile_of(coordinator)
    request, events = services.interpreter_request(
        conversation_id=conversation_id,
        language="bg-BG",
        user=coordinator.user,
        profile=profile,
        at=timezone.now(),
    )
    assert request.language == "bg" and request.state == State.PENDING
    offered = sorted(to_groups(events, "interpreter.offered"))
    assert offered == sorted(
        [interpreter_user_group(iris.user.pk), interpreter_user_group(ivan.user.pk)]
    )
    # The offer says the language and the deadline, never which conversation.
    offer = next(m for _, m in round_trip(events) if m.get("event") == "interpreter.offered")
    assert "conversation_id" not in offer["data"]
    changed = next(m for g, m in round_trip(events) if m.get("event") == "interpreter.changed")
    assert changed["data"]["offered_to"] == 2
    assert to_groups(events, "interpreter.changed") == [STAFF_GROUP]


def test_the_first_interpreter_to_accept_gets_it_and_the_other_is_told(
    coordinator, iris, ivan, conversation_id
):
    made = ask(coordinator, conversation_id)
    assert made.status_code == 201
    request_id = made.json()["request_id"]

    first = accept(iris, request_id)
    assert first.status_code == 200
    assert first.json()["state"] == "accepted"
    assert first.json()["device_id"] == iris.keys.device_id
    assert first.json()["label"] == "interpreter:bg"

    second = accept(ivan, request_id)
    assert second.status_code == 409
    assert second.json()["error"] == "request_taken"
    row = InterpreterRequest.objects.get(pk=request_id)
    assert (row.interpreter_id, str(row.device_id)) == (iris.user.pk, iris.keys.device_id)


def test_accepting_is_one_conditional_update_so_a_taken_request_stays_taken(
    coordinator, iris, ivan, conversation_id
):
    """The race across workers: whoever runs the UPDATE second changes no row, whatever
    it read before (here it read the request as pending)."""
    request, _ = services.interpreter_request(
        conversation_id=conversation_id,
        language="bg",
        user=coordinator.user,
        profile=profile_of(coordinator),
        at=timezone.now(),
    )
    now = timezone.now()
    _, events = services.interpreter_accept(
        request_id=request.pk,
        user=iris.user,
        profile=profile_of(iris),
        device_id=iris.keys.device_id,
        at=now,
    )
    assert to_groups(events, "interpreter.withdrawn") == [interpreter_user_group(ivan.user.pk)]
    with pytest.raises(services.InterpreterUnavailable):
        services.interpreter_accept(
            request_id=request.pk,
            user=ivan.user,
            profile=profile_of(ivan),
            device_id=ivan.keys.device_id,
            at=now,
        )


def test_staff_can_cancel_and_the_interpreters_offered_are_told(coordinator, iris, conversation_id):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    request, events = services.interpreter_request_cancel(
        request_id=request_id,
        user=coordinator.user,
        profile=profile_of(coordinator),
        at=timezone.now(),
    )
    assert request.state == State.CANCELLED
    assert to_groups(events, "interpreter.withdrawn") == [interpreter_user_group(iris.user.pk)]
    assert accept(iris, request_id).json()["error"] == "request_taken"


def test_a_request_nobody_takes_expires_and_staff_are_told(coordinator, iris, conversation_id):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    later = timezone.now() + timedelta(hours=1)
    events = services.interpreting_tick(at=later)
    changed = [m["data"] for _, m in round_trip(events) if m.get("event") == "interpreter.changed"]
    assert [(c["request_id"], c["state"]) for c in changed] == [(request_id, "expired")]
    assert accept(iris, request_id).json()["error"] == "request_taken"
    assert services.interpreting_tick(at=later) == []  # once


def test_leaving_closes_the_epochs_they_read_and_tells_their_sockets(
    coordinator, iris, conversation_id
):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    accept(iris, request_id)
    request, events = services.interpreter_end(
        request_id=request_id, reason="left", user=iris.user, at=timezone.now()
    )
    assert (request.state, request.end_reason) == (State.ENDED, "left")
    closing = [m for g, m in round_trip(events) if g == staff_device_group(iris.keys.device_id)]
    assert closing == [{"type": "interpreter.ended", "conversation_id": conversation_id}]
    # No staff browser had added them to an epoch yet: they hold no key, nothing is held
    # (tests/chat/test_interpreter_epochs.py covers the leave after a join).
    assert Conversation.objects.get(pk=conversation_id).epochs_closed_through == -1
    changed = next(m for _, m in round_trip(events) if m.get("event") == "interpreter.changed")
    assert changed["data"]["rekey_due"] is False


def test_the_time_limit_ends_an_interpreter_s_part(coordinator, iris, conversation_id, settings):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    accept(iris, request_id)
    limit = timedelta(minutes=settings.HELPLINE_INTERPRETER_TIME_LIMIT_MINUTES + 1)
    services.interpreting_tick(at=timezone.now() + limit)
    row = InterpreterRequest.objects.get(pk=request_id)
    assert (row.state, row.end_reason) == (State.ENDED, "time_limit")


def test_every_request_join_and_leave_is_in_the_audit_log_without_content(
    coordinator, iris, conversation_id
):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    accept(iris, request_id)
    post(iris, f"/staff/api/interpreting/{request_id}/leave")
    entries = AuditEntry.objects.filter(target=conversation_id).order_by("at", "pk")
    assert [(e.action, e.actor_name) for e in entries] == [
        (Action.INTERPRETER_REQUESTED, "alice"),
        (Action.INTERPRETER_LEFT, "iris"),
    ]
    assert entries[1].details["reason"] == "left"
    assert set(entries[0].details) == {"language", "request", "offered_to"}


def test_staff_can_remove_the_interpreter(coordinator, iris, conversation_id):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    accept(iris, request_id)
    removed = post(coordinator, f"/staff/api/interpreting/{request_id}/remove")
    assert removed.status_code == 200
    assert removed.json()["end_reason"] == "removed"
    state = coordinator.client.get("/staff/api/interpreting").json()
    # Ended, and never added to an epoch: nothing left to do for the staff browser.
    assert state["requests"] == []
    assert InterpreterRequest.objects.get(pk=request_id).state == State.ENDED


def test_an_interpreter_sees_offers_and_then_their_one_conversation(
    coordinator, iris, conversation_id
):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    view = iris.client.get("/staff/api/interpreting").json()
    assert [o["request_id"] for o in view["offers"]] == [request_id]
    assert view["assignment"] is None
    accept(iris, request_id)
    view = iris.client.get("/staff/api/interpreting").json()
    assert view["assignment"]["conversation_id"] == conversation_id


def test_going_on_and_off_call(iris):
    off = post(iris, "/staff/api/interpreting/on-call", {"minutes": 0}).json()
    assert off["on_call_until"] is None
    on = post(iris, "/staff/api/interpreting/on-call", {"minutes": 90}).json()
    assert on["on_call_until"] > timezone.now().timestamp() + 80 * 60


# -- from the wrong side ------------------------------------------------------------------


def test_an_interpreter_cannot_open_the_dashboard_the_queue_or_ask_for_an_interpreter(
    iris, conversation_id
):
    assert iris.client.get("/staff/api/dashboard").status_code == 403
    assert ask(iris, conversation_id).status_code == 403
    claimed = post(iris, f"/staff/api/routes/{conversation_id}/claim")
    assert claimed.status_code == 403


def test_an_interpreter_cannot_accept_a_request_for_a_language_they_do_not_have(
    coordinator, rita, conversation_id, certify, now
):
    rita.keys = rita.device_register(now=now, role="interpreter")
    certify(rita.keys)
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    assert accept(rita, request_id).status_code == 404


def test_an_interpreter_cannot_accept_with_someone_else_s_device(
    coordinator, iris, ivan, conversation_id
):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    answer = post(
        ivan, f"/staff/api/interpreting/{request_id}/accept", {"device_id": iris.keys.device_id}
    )
    assert answer.status_code == 404


def test_an_interpreter_cannot_leave_for_another(coordinator, iris, ivan, conversation_id):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    accept(iris, request_id)
    assert post(ivan, f"/staff/api/interpreting/{request_id}/leave").status_code == 404
    assert InterpreterRequest.objects.get(pk=request_id).state == State.ACCEPTED


def test_staff_cannot_accept_or_go_on_call(coordinator, nurse, conversation_id):
    request_id = ask(coordinator, conversation_id).json()["request_id"]
    answer = post(nurse, f"/staff/api/interpreting/{request_id}/accept", {"device_id": "0" * 36})
    assert answer.status_code in (400, 403)
    assert post(nurse, "/staff/api/interpreting/on-call", {"minutes": 10}).status_code == 403


def test_staff_cannot_ask_for_a_conversation_that_is_not_theirs(nurse, conversation_id):
    answer = ask(nurse, conversation_id)
    assert (answer.status_code, answer.json()["error"]) == (403, "not_yours")


def test_one_live_request_per_conversation(coordinator, iris, conversation_id):
    assert ask(coordinator, conversation_id).status_code == 201
    second = ask(coordinator, conversation_id)
    assert (second.status_code, second.json()["error"]) == (409, "wrong_state")


def test_an_interpreter_is_in_one_conversation_at_a_time(
    coordinator, iris, conversation_id, visitor_opens
):
    other = visitor_opens(language="bg", at=timezone.now()).conversation_id
    first = ask(coordinator, conversation_id).json()["request_id"]
    second = ask(coordinator, other).json()["request_id"]
    assert accept(iris, first).status_code == 200
    busy = accept(iris, second)
    assert (busy.status_code, busy.json()["error"]) == (409, "interpreter_busy")
