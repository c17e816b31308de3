"""Delete now (issue 7): the visitor deletes their conversation for everyone, over the
real ASGI application. Staff following it are told and stop following it, every
dashboard is told, the visitor's other tabs are closed, and nothing of it is left on the
server. From the wrong side: another visitor, a staff device, a visitor who never opened
anything."""

from __future__ import annotations

import os

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chat.models import Commit, Conversation, Envelope, Participant, Wrap
from chat.protocol import frames as f
from ops.activity.models import ActivityDay
from ops.models import Route

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def rows_of(conversation_id: str) -> dict[str, int]:
    return {
        "conversation": Conversation.objects.filter(pk=conversation_id).count(),
        "commits": Commit.objects.filter(conversation_id=conversation_id).count(),
        "wraps": Wrap.objects.filter(commit__conversation_id=conversation_id).count(),
        "envelopes": Envelope.objects.filter(conversation_id=conversation_id).count(),
        "participants": Participant.objects.filter(conversation_id=conversation_id).count(),
        "route": Route.objects.filter(conversation_id=conversation_id).count(),
    }


@database_sync_to_async
def counted() -> list[tuple[int, int]]:
    return [(row.conversations, row.deleted_by_visitor) for row in ActivityDay.objects.all()]


async def test_the_visitor_deletes_now_and_staff_are_told(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    conversation_id = visitor.conversation_id
    await socket.request(f.EnvelopeSend(envelope=visitor.seal("effacez tout")))
    staff_socket, _ = await sockets.staff_following(staff, helpline, conversation_id)
    assert (await rows_of(conversation_id))["envelopes"] == 1

    answer = await socket.request(f.ConversationDelete(conversation_id=conversation_id))

    assert answer == f.ConversationDeleted(
        ref=answer.ref, conversation_id=conversation_id, reason="visitor"
    )
    assert await socket.close_code() == 4410
    assert await rows_of(conversation_id) == {
        "conversation": 0,
        "commits": 0,
        "wraps": 0,
        "envelopes": 0,
        "participants": 0,
        "route": 0,
    }
    told = await staff_socket.receive_until(f.ConversationDeleted)
    assert (told.conversation_id, told.reason) == (conversation_id, "visitor")
    news = await staff_socket.receive_until(f.StaffEvent)
    while news.event != "conversation.deleted":
        news = await staff_socket.receive_until(f.StaffEvent)
    assert news.data == {"conversation_id": conversation_id, "reason": "visitor"}
    # Counted before it went: one conversation, deleted by its visitor; nothing else.
    assert await counted() == [(1, 1)]
    # The staff socket no longer follows it: writing there is refused.
    await staff_socket.refused(f.Sync(conversation_id=conversation_id, after=0), "not_subscribed")


async def test_the_token_of_a_deleted_conversation_opens_nothing(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    await socket.request(f.ConversationDelete(conversation_id=visitor.conversation_id))
    again = await sockets.visitor()
    await again.refused(f.ConversationResume(token=visitor.token, after=0), "unauthorized")


async def test_the_visitors_other_tab_is_closed(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    other_tab = await sockets.visitor()
    resumed = await other_tab.request(f.ConversationResume(token=visitor.token, after=0))
    assert isinstance(resumed, f.ConversationResumed)
    await other_tab.drain()

    await socket.request(f.ConversationDelete(conversation_id=visitor.conversation_id))

    told = await other_tab.receive_until(f.ConversationDeleted)
    assert told.reason == "visitor" and told.ref is None
    assert await other_tab.close_code() == 4410


async def test_a_visitor_cannot_delete_another_visitors_conversation(sockets, helpline):
    mine, _ = await sockets.visitor_opened()
    theirs_socket, theirs = await sockets.visitor_opened()
    await mine.refused(f.ConversationDelete(conversation_id=theirs.conversation_id), "forbidden")
    assert (await rows_of(theirs.conversation_id))["conversation"] == 1
    await mine.still_usable()
    assert not any(
        isinstance(frame, f.ConversationDeleted) for frame in await theirs_socket.drain()
    )


async def test_a_visitor_who_opened_nothing_cannot_delete(sockets, helpline):
    _, visitor = await sockets.visitor_opened()
    stranger = await sockets.visitor()
    await stranger.refused(
        f.ConversationDelete(conversation_id=visitor.conversation_id), "not_authenticated"
    )
    assert (await rows_of(visitor.conversation_id))["conversation"] == 1


async def test_staff_devices_cannot_delete_a_conversation(sockets, helpline, staff):
    _, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await staff_socket.refused(
        {"type": "conversation.delete", "conversation_id": visitor.conversation_id},
        "unknown_type",
    )
    assert (await rows_of(visitor.conversation_id))["conversation"] == 1


async def test_expiry_tells_the_sockets_that_follow_the_conversation(sockets, helpline, staff, now):
    from datetime import timedelta

    from chat.expiry import conversations_expire

    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await database_sync_to_async(conversations_expire)(now=now + timedelta(days=31))
    told = await socket.receive_until(f.ConversationDeleted)
    assert told.reason == "expiry"
    assert await socket.close_code() == 4410
    told = await staff_socket.receive_until(f.ConversationDeleted)
    assert (told.conversation_id, told.reason) == (visitor.conversation_id, "expiry")


# -- Redis, key by key ------------------------------------------------------------------


@pytest.fixture
async def redis_layer(sockets, settings):
    """The production channel layer (Redis pub/sub, config/settings.py) instead of the
    in-memory one the other consumer tests use."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL (the Redis channel layer)")
    import redis

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }
    client = redis.Redis.from_url(url)
    yield client
    await sockets.disconnect_all()
    await get_channel_layer().flush()
    client.close()


def redis_mentions(client, needles: list[bytes]) -> list[bytes]:
    """Every Redis key and every pub/sub channel whose name mentions a needle."""
    names = list(client.scan_iter(count=1000)) + list(client.pubsub_channels())
    return [name for name in names if any(needle in name for needle in needles)]


async def test_nothing_of_a_deleted_conversation_is_left_in_redis(
    sockets, helpline, staff, redis_layer
):
    redis_client = redis_layer
    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    needles = [visitor.conversation_id.encode(), visitor.conversation_id.replace("-", "").encode()]
    # While it lives, its fan-out channel is in Redis (both sockets follow it).
    assert redis_mentions(redis_client, needles)

    await socket.request(f.ConversationDelete(conversation_id=visitor.conversation_id))
    await staff_socket.receive_until(f.ConversationDeleted)
    assert await socket.close_code() == 4410
    await sockets.opened[0].disconnect()

    assert redis_mentions(redis_client, needles) == []
