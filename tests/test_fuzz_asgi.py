"""Fuzzing the running ASGI application (issue 10): thousands of websocket frames on both
endpoints and thousands of HTTP bodies on every staff API route. Whatever arrives: no
500, no crash of a consumer (every close is a protocol close code), and nothing logged
at ERROR — the handlers' catch-all ("frame handler failed") never fires."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.protocol import frames as f
from config.asgi import application
from ops.devices import services
from tests.test_route_inventory import PUBLIC, routes

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://127.0.0.1"
TYPES = sorted({frame.__struct_config__.tag for frame in (*f.VISITOR_FRAMES, *f.STAFF_FRAMES)})
FIELDS = [
    "ref", "conversation_id", "token", "envelope", "commit", "signature", "wraps", "order",
    "after", "kind", "device_id", "suite", "language", "campaign", "epoch", "ct", "members",
]  # fmt: skip
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BODIES = settings(
    max_examples=2500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=40),
    st.uuids().map(str),
    st.binary(max_size=60).map(lambda b: b.hex()),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=12,
)
frame_like = st.builds(
    lambda kind, fields: json.dumps({"type": kind, **fields}),
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
)
frames = st.lists(
    st.one_of(
        frame_like,
        values.map(json.dumps),
        # Channels' test communicator cannot send an empty message (a browser can't either).
        st.text(min_size=1, max_size=200),
        st.binary(min_size=1, max_size=200),
    ),
    min_size=20,
    max_size=60,
)


@pytest.fixture
def quiet_limits(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CHAT_RATE_BURST = settings.CHAT_CONVERSATION_RATE_BURST = 100_000
    settings.CHAT_OPENS_PER_MINUTE = 100_000


def errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def socket_flood(path: str, sent: list[str | bytes], cookie: str | None) -> None:
    headers = [(b"host", b"127.0.0.1"), (b"origin", ORIGIN)]
    headers += [(b"cookie", cookie.encode())] if cookie else []
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    closed = None
    for item in sent:
        if isinstance(item, bytes):
            await communicator.send_to(bytes_data=item)
        else:
            await communicator.send_to(text_data=item)
    # Whatever it said, the socket answers a ping or has closed with a protocol code.
    await communicator.send_to(text_data=json.dumps({"type": "ping", "ref": "last"}))
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            closed = output.get("code", 1000)
            break
        if '"ref":"last"' in output.get("text", ""):
            break
    assert closed is None or 4000 <= closed < 5000 or closed == 1000, closed
    await communicator.disconnect()


def staff_cookie() -> str:
    user = services.staff_member_create(username=f"fuzz-{uuid.uuid4().hex[:8]}", password="x" * 20)
    client = Client()
    client.force_login(user)  # both factors (tests/conftest.py)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@FUZZ
@given(sent=frames)
def test_thousands_of_frames_on_the_visitor_socket_crash_nothing(quiet_limits, caplog, sent):
    caplog.set_level(logging.ERROR)
    async_to_sync(socket_flood)("/ws/visitor", sent, None)
    assert errors_logged(caplog) == []


@FUZZ
@given(sent=frames)
def test_thousands_of_frames_on_a_signed_in_staff_socket_crash_nothing(quiet_limits, caplog, sent):
    caplog.set_level(logging.ERROR)
    async_to_sync(socket_flood)("/ws/staff", sent, staff_cookie())
    assert errors_logged(caplog) == []


STAFF_POSTS = sorted(path for name, path in routes() if path.startswith("/staff/api/"))
bodies = st.one_of(
    values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(FIELDS + ["name", "staff", "starts_at", "body", "texts"]), values
    ).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
)


@BODIES
@given(
    path=st.sampled_from(STAFF_POSTS), body=bodies, method=st.sampled_from(["post", "put", "patch"])
)
def test_thousands_of_bodies_on_every_staff_api_route_never_give_a_500(
    coordinator_for_fuzz, caplog, path, body, method
):
    caplog.set_level(logging.ERROR)
    response = getattr(coordinator_for_fuzz, method)(path, body, content_type="application/json")
    assert response.status_code < 500, (path, body, response.content[:200])
    assert errors_logged(caplog) == []


@pytest.fixture
def coordinator_for_fuzz(db) -> Client:
    user = services.staff_member_create(
        username="fuzz-coord", password="x" * 20, is_coordinator=True
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_fuzzed_routes_are_the_staff_api(db):
    assert len(STAFF_POSTS) >= 30
    # The JSON sign-in of native apps is the one public route under /staff/api/ (it
    # answers in the API's JSON); it is fuzzed with the rest.
    public = {name for name, path in routes() if path in STAFF_POSTS and name in PUBLIC}
    assert public == {"staff_auth:api-session"}
