"""Limits that sockets share (issue 10, chat/ratelimit.py): a second socket on the same
conversation does not double its allowance — without knowing anything about who they
are. (New conversations pay a proof of work instead: tests/chat/test_open_challenge.py.)"""

from __future__ import annotations

import pytest

from chat import ratelimit
from chat.protocol import frames as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_buckets():
    ratelimit.conversation_buckets.buckets.clear()
    yield
    ratelimit.conversation_buckets.buckets.clear()


async def test_two_sockets_on_one_conversation_share_its_allowance(sockets, helpline, settings):
    settings.CHAT_CONVERSATION_RATE_BURST = 3
    settings.CHAT_CONVERSATION_RATE_PER_SECOND = 0.01  # no refill while the test runs
    first, visitor = await sockets.visitor_opened()  # its epoch-0 commit takes one
    second = await sockets.visitor()
    resumed = await second.request(f.ConversationResume(token=visitor.token, after=1))
    assert isinstance(resumed, f.ConversationResumed)
    conversation_id = resumed.conversation_id
    for number in range(2):  # the rest of the conversation's burst, from the first socket
        await first.send(
            f.ReceiptSend(ref=f"a{number}", conversation_id=conversation_id, kind="read", order=1)
        )
    assert isinstance(await first.request(f.Ping()), f.Pong)  # they were handled
    # The second socket's own bucket is full, but the conversation's is empty.
    refused = await second.request(
        f.ReceiptSend(conversation_id=conversation_id, kind="read", order=1)
    )
    assert isinstance(refused, f.Error)
    assert refused.code == "rate_limited"
    assert refused.retry_after_ms > 0
