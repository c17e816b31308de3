"""What a visitor is told of where their conversation stands (ops/routing/visitor_route.py): in the
queue with how many before them, taken by someone, closed by the team — only to their
own sockets, never who, nothing of the others but their number."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chat.events import visitor_group
from ops.routing import services as routing
from ops.routing.visitor_route import visitor_route_status
from tests.ops.conftest import AT

pytestmark = pytest.mark.django_db


def told(events: list) -> dict[str, dict]:
    """conversation id → the last `conversation.route` its visitor's sockets get; every
    event goes through JSON first, as through the channel layer."""
    said = {}
    for group, message in json.loads(json.dumps(events)):
        if message.get("type") != "conversation.route":
            continue
        assert group == visitor_group(message["conversation_id"])
        assert set(message) == {"type", "conversation_id", "state", "ahead"}
        said[message["conversation_id"]] = {"state": message["state"], "ahead": message["ahead"]}
    return said


def test_visitors_learn_how_many_wait_before_them(visitor_opens):
    first = visitor_opens()
    assert told(first.events) == {first.conversation_id: {"state": "waiting", "ahead": 0}}
    second = visitor_opens(at=AT + timedelta(minutes=1))
    assert told(second.events) == {
        first.conversation_id: {"state": "waiting", "ahead": 0},
        second.conversation_id: {"state": "waiting", "ahead": 1},
    }
    assert visitor_route_status(conversation_id=second.conversation_id) == {
        "state": "waiting",
        "ahead": 1,
    }


def test_a_claim_tells_its_visitor_and_moves_the_others_up(visitor_opens, staff_on_shift):
    first = visitor_opens()
    second = visitor_opens(at=AT + timedelta(minutes=1))
    events = routing.route_claim(
        conversation_id=first.conversation_id, user=staff_on_shift.user, at=AT
    )
    assert told(events) == {
        first.conversation_id: {"state": "assigned", "ahead": None},
        second.conversation_id: {"state": "waiting", "ahead": 0},
    }


def test_closing_tells_the_visitor_and_writing_again_puts_them_back_in_the_queue(
    visitor_opens, staff_on_shift
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    events = routing.route_close(
        conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT
    )
    assert told(events) == {opened.conversation_id: {"state": "closed", "ahead": None}}
    assert visitor_route_status(conversation_id=opened.conversation_id)["state"] == "closed"

    later = AT + timedelta(hours=1)
    events = routing.visitor_wrote(conversation_id=opened.conversation_id, order=9, now=later)
    assert told(events) == {opened.conversation_id: {"state": "waiting", "ahead": 0}}


def test_a_message_in_a_conversation_already_in_hand_tells_no_visitor(
    visitor_opens, staff_on_shift
):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    events = routing.visitor_wrote(conversation_id=opened.conversation_id, order=3, now=AT)
    assert told(events) == {}


def test_a_shift_end_tells_each_waiting_visitor_once(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    conversations = [visitor_opens(at=AT + timedelta(minutes=i)) for i in range(3)]
    for opened in conversations:
        routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    events = routing.routes_hand_over(user_ids=[staff_on_shift.user.pk], at=AT)
    route_events = [m for _, m in events if m["type"] == "conversation.route"]
    assert len(route_events) == 3
    assert told(events) == {
        opened.conversation_id: {"state": "waiting", "ahead": place}
        for place, opened in enumerate(conversations)
    }


def test_no_route_no_status(db):
    assert visitor_route_status(conversation_id="0b9a3c5e-7d41-4f6a-9c2e-1f0e8d7c6b5a") is None
