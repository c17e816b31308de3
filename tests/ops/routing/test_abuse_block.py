"""Blocking a conversation (issue 10, ops/routing/abuse.py): it ends for good, its token opens
nothing any more, it is audited; interpreters and staff off shift cannot."""

from __future__ import annotations

import pytest

from audit.models import Action, AuditEntry
from chat.models import Conversation, ReturnCode
from chat.services.return_codes import return_code_set
from ops.errors import NotYours
from ops.models import Route
from ops.routing import abuse
from tests.ops.conftest import AT


def test_staff_on_shift_block_a_waiting_conversation_and_its_token_and_code_open_nothing(
    visitor_opens, staff_on_shift
):
    opened = visitor_opens()
    conversation = Conversation.objects.get(pk=opened.conversation_id)
    old_hash = bytes(conversation.token_hash)
    return_code_set(
        conversation_id=opened.conversation_id, lookup=bytes(32), sealed=bytes(100), now=AT
    )
    events = abuse.conversation_block(
        conversation_id=opened.conversation_id, user=staff_on_shift.user, at=AT
    )
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED
    assert bytes(conversation.token_hash) != old_hash
    assert not ReturnCode.objects.filter(conversation_id=opened.conversation_id).exists()
    assert Route.objects.get(pk=opened.conversation_id).state == Route.State.CLOSED
    assert any(message.get("type") == abuse.BLOCKED_EVENT for _, message in events)
    entry = AuditEntry.objects.get(action=Action.CONVERSATION_BLOCKED)
    assert (entry.actor, entry.target) == (staff_on_shift.user, opened.conversation_id)


def test_staff_off_shift_cannot_block_a_waiting_conversation(visitor_opens, staff_off_shift):
    opened = visitor_opens()
    with pytest.raises(NotYours):
        abuse.conversation_block(
            conversation_id=opened.conversation_id, user=staff_off_shift.user, at=AT
        )
    assert Conversation.objects.get(pk=opened.conversation_id).state == Conversation.State.OPEN


def test_an_interpreter_is_refused_by_the_block_api(visitor_opens, interpreter):
    opened = visitor_opens()
    response = interpreter.client.post(f"/staff/api/routes/{opened.conversation_id}/block")
    assert response.status_code == 403
    assert Conversation.objects.get(pk=opened.conversation_id).state == Conversation.State.OPEN
