"""Anonymous daily counts (ops/activity/, issue 7): before a conversation is deleted it
adds to the counts of its day, campaign, language and outcome — and nothing in them ties
a row back to it. Topics and outcome are chosen by the person who has the conversation
(or a coordinator), from fixed lists; everyone else is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db.models import Model

from chat.expiry import conversations_expire
from chat.models import Conversation, Envelope
from chat.services.deletion import conversation_delete
from ops import clock
from ops.activity.models import ActivityDay, ActivityTopic, ConversationOutcome
from ops.models import Campaign
from tests.ops.conftest import AT

pytestmark = pytest.mark.django_db
API = "/staff/api"
DEVICE = "3f1c6d1e-0000-4000-8000-000000000001"
LATER = AT + timedelta(days=40)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: AT)


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(code="grindr-juin", name="Grindr, juin", created_at=AT)


def wrote(conversation_id: str, sender: str, at, content_type: str = "text") -> None:
    """An envelope's metadata as envelope_submit stores it (the counts read nothing
    else: who wrote, when, and the clear content type)."""
    conversation = Conversation.objects.get(pk=conversation_id)
    order = conversation.last_order + 1
    Envelope.objects.create(
        conversation=conversation,
        order=order,
        epoch=0,
        sender=sender,
        stream=bytes(16),
        seq=order,
        content_type=content_type,
        ciphertext=b"\x00" * 48,
        signature=bytes(64),
        received_at=at,
    )
    Conversation.objects.filter(pk=conversation_id).update(last_order=order, last_activity_at=at)


def put_outcome(client, conversation_id: str, body: dict):
    return client.put(
        f"{API}/routes/{conversation_id}/outcome",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_the_counts_of_a_day_hold_the_right_numbers(visitor_opens, campaign, staff_on_shift):
    answered_fast = visitor_opens(campaign="grindr-juin").conversation_id
    wrote(answered_fast, "visitor", AT)
    wrote(answered_fast, DEVICE, AT + timedelta(minutes=10))
    answered_late = visitor_opens(campaign="grindr-juin").conversation_id
    wrote(answered_late, "visitor", AT)
    wrote(answered_late, DEVICE, AT + timedelta(hours=3))
    unanswered = visitor_opens(campaign="grindr-juin").conversation_id
    wrote(unanswered, "visitor", AT)
    silent = visitor_opens(campaign="grindr-juin").conversation_id  # opened, never wrote
    wrote(silent, "visitor", AT, content_type="event")  # quick exit: not a message
    other_language = visitor_opens(language="bg-BG").conversation_id
    wrote(other_language, "visitor", AT)

    staff_on_shift.client.post(f"{API}/routes/{answered_fast}/claim")
    response = put_outcome(
        staff_on_shift.client, answered_fast, {"topics": ["prep", "testing"], "outcome": "referred"}
    )
    assert response.status_code == 200
    conversation_delete(conversation_id=unanswered, now=AT)

    assert conversations_expire(now=LATER) == 4

    rows = {
        (row.language, row.campaign_code, row.outcome): row for row in ActivityDay.objects.all()
    }
    assert set(rows) == {
        ("fr", "grindr-juin", "referred"),
        ("fr", "grindr-juin", ""),
        ("bg", "", ""),
    }
    referred = rows[("fr", "grindr-juin", "referred")]
    assert (referred.conversations, referred.visitor_wrote, referred.staff_answered) == (1, 1, 1)
    assert referred.answered_within_15_minutes == 1
    plain = rows[("fr", "grindr-juin", "")]
    assert (plain.conversations, plain.visitor_wrote, plain.staff_answered) == (3, 2, 1)
    assert (plain.answered_within_1_day, plain.answered_later, plain.deleted_by_visitor) == (
        1,
        0,
        1,
    )
    assert plain.answered_within_15_minutes == plain.answered_within_1_hour == 0
    bulgarian = rows[("bg", "", "")]
    assert (bulgarian.conversations, bulgarian.visitor_wrote, bulgarian.staff_answered) == (1, 1, 0)
    assert {row.day for row in rows.values()} == {AT.date()}
    topics = sorted((row.topic, row.conversations) for row in ActivityTopic.objects.all())
    assert topics == [("prep", 1), ("testing", 1)]


def test_nothing_in_the_counts_ties_back_to_a_conversation(visitor_opens, staff_on_shift):
    conversation_id = visitor_opens().conversation_id
    wrote(conversation_id, "visitor", AT)
    wrote(conversation_id, DEVICE, AT + timedelta(minutes=3))
    staff_on_shift.client.post(f"{API}/routes/{conversation_id}/claim")
    put_outcome(staff_on_shift.client, conversation_id, {"topics": ["pep"], "outcome": "informed"})
    conversation = Conversation.objects.get(pk=conversation_id)
    identifiers = [
        conversation_id,
        conversation_id.replace("-", ""),
        bytes(conversation.token_hash).hex(),
        DEVICE,
        staff_on_shift.user.username,
        AT.isoformat(),
        str(int(AT.timestamp())),
    ]
    conversations_expire(now=LATER)

    for model in (ActivityDay, ActivityTopic):
        fields = {field.name for field in model._meta.fields}
        assert not fields & {"conversation", "conversation_id", "created_at", "user", "staff"}
        for row in model.objects.all():
            values = [str(getattr(row, name)) for name in fields - {"id"}]
            for value in values:
                assert all(identifier not in value for identifier in identifiers), value
            # Only dates, codes and counts: no datetime at all.
            assert not any("T" in value and ":" in value for value in values)
    assert ActivityDay.objects.count() == 1


def test_a_conversation_deleted_twice_counts_once(visitor_opens):
    conversation_id = visitor_opens().conversation_id
    conversation_delete(conversation_id=conversation_id, now=AT)
    conversation_delete(conversation_id=conversation_id, now=AT)
    assert conversations_expire(now=LATER) == 0
    assert ActivityDay.objects.get().conversations == 1


def test_a_deletion_that_rolls_back_counts_nothing(visitor_opens, monkeypatch):
    conversation_id = visitor_opens().conversation_id

    def broken_delete(self: Model, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("django.db.models.query.QuerySet.delete", broken_delete)
    with pytest.raises(RuntimeError):
        conversation_delete(conversation_id=conversation_id, now=AT)
    monkeypatch.undo()
    assert not ActivityDay.objects.exists()
    assert Conversation.objects.filter(pk=conversation_id).exists()


# -- who chooses the topics and the outcome --------------------------------------------------


def test_the_person_who_has_it_sets_topics_and_outcome(visitor_opens, staff_on_shift):
    conversation_id = visitor_opens().conversation_id
    staff_on_shift.client.post(f"{API}/routes/{conversation_id}/claim")
    response = put_outcome(
        staff_on_shift.client, conversation_id, {"topics": ["testing", "prep"], "outcome": "none"}
    )
    assert response.json() == {"topics": ["prep", "testing"], "outcome": "none"}
    got = staff_on_shift.client.get(f"{API}/routes/{conversation_id}/outcome")
    assert got.json() == {"topics": ["prep", "testing"], "outcome": "none"}


def test_a_coordinator_sets_them_for_any_conversation(visitor_opens, coordinator):
    conversation_id = visitor_opens().conversation_id
    response = put_outcome(
        coordinator.client, conversation_id, {"topics": [], "outcome": "informed"}
    )
    assert response.status_code == 200
    assert ConversationOutcome.objects.get().outcome == "informed"


def test_a_colleague_cannot_set_them_for_someone_elses(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    conversation_id = visitor_opens().conversation_id
    staff_on_shift.client.post(f"{API}/routes/{conversation_id}/claim")
    response = put_outcome(
        colleague_on_shift.client, conversation_id, {"topics": ["prep"], "outcome": "referred"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "not_yours"
    assert not ConversationOutcome.objects.exists()


def test_interpreters_outsiders_and_anonymous_cannot_set_them(
    visitor_opens, interpreter, outsider, client
):
    conversation_id = visitor_opens().conversation_id
    body = {"topics": ["prep"], "outcome": "referred"}
    for caller in (interpreter.client, outsider, client):
        assert put_outcome(caller, conversation_id, body).status_code == 403
        got = caller.get(f"{API}/routes/{conversation_id}/outcome")
        assert got.status_code == 403
    assert not ConversationOutcome.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"topics": ["the visitor's name"], "outcome": "referred"},
        {"topics": [], "outcome": "moved to Lyon"},
        {"topics": [], "outcome": "referred", "note": "free text"},
        {"topics": "prep", "outcome": ""},
    ],
)
def test_free_text_never_gets_in(visitor_opens, coordinator, body):
    conversation_id = visitor_opens().conversation_id
    assert put_outcome(coordinator.client, conversation_id, body).status_code == 400
    assert not ConversationOutcome.objects.exists()
