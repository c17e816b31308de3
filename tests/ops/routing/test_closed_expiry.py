"""A conversation staff closed expires CHAT_CLOSED_EXPIRY_DAYS after closing (issue 7),
unless a message came after; the visitor may still write once it is closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from chat.expiry import conversations_expire, expiry_preview
from chat.models import Conversation
from ops.models import Route
from ops.routing import services as routing
from tests.ops.conftest import AT

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
CLOSED_AT = AT + timedelta(hours=2)


def closed_limit() -> timedelta:
    return timedelta(days=settings.CHAT_CLOSED_EXPIRY_DAYS)


def idle_limit() -> timedelta:
    return timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS)


@pytest.fixture
def closed(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    routing.route_claim(conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT)
    routing.route_close(
        conversation_id=opened.conversation_id, user=staff_on_shift.user, at=CLOSED_AT
    )
    return opened.conversation_id


def exists(conversation_id: str) -> bool:
    return Conversation.objects.filter(pk=conversation_id).exists()


def test_closing_keeps_the_conversation_open_for_the_visitor(closed):
    conversation = Conversation.objects.get(pk=closed)
    assert (conversation.state, conversation.closed_at) == ("open", CLOSED_AT)


def test_it_stays_until_a_second_past_the_closed_limit_then_goes_with_its_route(closed):
    assert conversations_expire(now=CLOSED_AT + closed_limit()) == 0
    assert exists(closed)
    assert expiry_preview(now=CLOSED_AT + closed_limit() + SECOND)["closed"] == 1
    assert conversations_expire(now=CLOSED_AT + closed_limit() + SECOND) == 1
    assert not exists(closed)
    assert not Route.objects.filter(pk=closed).exists()


def test_a_message_after_closing_puts_it_back_under_the_idle_limit(closed):
    written = CLOSED_AT + timedelta(days=1)
    Conversation.objects.filter(pk=closed).update(last_activity_at=written)
    assert conversations_expire(now=CLOSED_AT + closed_limit() + timedelta(days=2)) == 0
    assert conversations_expire(now=written + idle_limit()) == 0
    assert conversations_expire(now=written + idle_limit() + SECOND) == 1
