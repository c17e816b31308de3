"""Automatic expiry (chat/expiry.py): conversations disappear with everything they hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from chat.errors import Unauthorized
from chat.expiry import conversations_expire
from chat.models import Commit, Conversation, Envelope, Participant, Wrap
from chat.services.conversations import conversation_resume, receipt_record
from chat.services.envelopes import envelope_submit

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def idle_limit() -> timedelta:
    return timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS)


def closed_limit() -> timedelta:
    return timedelta(days=settings.CHAT_CLOSED_EXPIRY_DAYS)


@pytest.fixture
def chatted(visitor, staff, view_as, now):
    """A conversation with everything a conversation holds: a commit and its wraps, an
    envelope from each side, participants and receipts. Last activity: ``now``."""
    reply_state = view_as(staff, visitor.conversation_id)
    envelope_submit(party=visitor.party, envelope=visitor.seal("bonjour"), now=now)
    envelope_submit(party=staff.party, envelope=reply_state.seal(b"bonjour, je vous lis"), now=now)
    receipt_record(
        party=staff.party, conversation_id=visitor.conversation_id, kind="read", order=2, now=now
    )
    return visitor


def rows_of(conversation_id: str) -> dict[str, int]:
    return {
        "conversation": Conversation.objects.filter(pk=conversation_id).count(),
        "commits": Commit.objects.filter(conversation_id=conversation_id).count(),
        "wraps": Wrap.objects.filter(commit__conversation_id=conversation_id).count(),
        "envelopes": Envelope.objects.filter(conversation_id=conversation_id).count(),
        "participants": Participant.objects.filter(conversation_id=conversation_id).count(),
    }


def close(visitor, at) -> None:
    # No service closes conversations yet; this is the state one would leave behind.
    Conversation.objects.filter(pk=visitor.conversation_id).update(
        state=Conversation.State.CLOSED, closed_at=at
    )


def test_the_fixture_conversation_holds_a_row_in_every_table(chatted):
    assert rows_of(chatted.conversation_id) == {
        "conversation": 1,
        "commits": 1,
        "wraps": 2,
        "envelopes": 2,
        "participants": 2,
    }


def test_a_conversation_idle_a_second_less_than_the_limit_stays(chatted, now):
    assert conversations_expire(now=now + idle_limit() - SECOND) == 0
    assert rows_of(chatted.conversation_id)["conversation"] == 1


def test_a_conversation_idle_a_second_more_than_the_limit_goes_with_all_it_holds(chatted, now):
    assert conversations_expire(now=now + idle_limit() + SECOND) == 1
    assert rows_of(chatted.conversation_id) == {
        "conversation": 0,
        "commits": 0,
        "wraps": 0,
        "envelopes": 0,
        "participants": 0,
    }
    # Nothing of it is left anywhere, not only under its id.
    assert not Wrap.objects.exists()
    assert not Commit.objects.exists()


def test_activity_postpones_expiry(chatted, now):
    later = now + timedelta(days=10)
    envelope_submit(party=chatted.party, envelope=chatted.seal("toujours là"), now=later)
    assert conversations_expire(now=now + idle_limit() + SECOND) == 0
    assert conversations_expire(now=later + idle_limit() + SECOND) == 1


def test_only_expired_conversations_go(chatted, visitor_factory, now):
    fresh = visitor_factory()
    envelope_submit(party=fresh.party, envelope=fresh.seal("salut"), now=now + timedelta(days=5))
    assert conversations_expire(now=now + idle_limit() + SECOND) == 1
    assert rows_of(fresh.conversation_id) == {
        "conversation": 1,
        "commits": 1,
        "wraps": 2,
        "envelopes": 1,
        "participants": 1,
    }


def test_a_closed_conversation_stays_until_its_closed_limit(chatted, now):
    close(chatted, now)
    assert conversations_expire(now=now + closed_limit() - SECOND) == 0
    assert rows_of(chatted.conversation_id)["conversation"] == 1


def test_a_closed_conversation_goes_a_second_after_its_closed_limit(chatted, now):
    close(chatted, now)
    assert conversations_expire(now=now + closed_limit() + SECOND) == 1
    assert sum(rows_of(chatted.conversation_id).values()) == 0


def test_a_closed_conversation_goes_by_its_closing_time_not_its_last_activity(chatted, now):
    closed_at = now + idle_limit() - closed_limit() + timedelta(days=1)
    close(chatted, closed_at)
    # Idle for longer than the idle limit, but closed only recently: it stays.
    assert conversations_expire(now=now + idle_limit() + SECOND) == 0
    assert conversations_expire(now=closed_at + closed_limit() + SECOND) == 1


def test_expiring_twice_is_harmless(chatted, visitor_factory, now):
    visitor_factory()
    moment = now + idle_limit() + SECOND
    assert conversations_expire(now=moment) == 2
    assert conversations_expire(now=moment) == 0
    assert not Conversation.objects.exists()


def test_more_conversations_than_a_batch_all_go(visitor_factory, now):
    for _ in range(5):
        visitor_factory()
    assert conversations_expire(now=now + idle_limit() + SECOND, batch=2) == 5
    assert not Conversation.objects.exists()


def test_the_idle_limit_follows_the_setting(chatted, now, settings):
    settings.CHAT_IDLE_EXPIRY_DAYS = 2
    assert conversations_expire(now=now + timedelta(days=2) + SECOND) == 1


def test_a_token_of_an_expired_conversation_opens_nothing(chatted, now):
    conversations_expire(now=now + idle_limit() + SECOND)
    with pytest.raises(Unauthorized):
        conversation_resume(token=chatted.token, now=now)


# -- issue 15: conversations whose visitor never wrote --------------------------------


def test_a_conversation_whose_visitor_never_wrote_goes_after_some_minutes(
    chatted, visitor_factory, settings
):
    from chat.expiry import empty_conversations_delete

    empty = visitor_factory()
    opened = Conversation.objects.get(pk=empty.conversation_id).created_at
    limit = timedelta(minutes=settings.CHAT_EMPTY_CONVERSATION_MINUTES)
    assert empty_conversations_delete(now=opened + limit - SECOND) == 0
    assert empty_conversations_delete(now=opened + limit + SECOND) == 1
    assert rows_of(empty.conversation_id)["conversation"] == 0
    assert rows_of(chatted.conversation_id)["conversation"] == 1  # its visitor wrote
