"""Staff sockets from the wrong side (issue 10): every websocket route is listed, and the
staff one refuses a session without the second factor; a revoked device, a sign-out
and "sign out everywhere" close an open socket at once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.test import Client

from chat.protocol import frames as f
from chat.routing import websocket_urlpatterns
from ops.devices import services

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
# Every websocket route, and whether anybody may open it (the visitor's is public: the
# token, in a frame, is what opens a conversation). A new route fails here until listed.
SOCKETS = {"ws/visitor": "public", "ws/staff": "signed in with both factors"}


@database_sync_to_async
def password_only_cookie(user) -> str:
    """A session made by Django's login alone: the password, no second factor."""
    client = Client()
    client._login(user, "django.contrib.auth.backends.ModelBackend")  # noqa: SLF001
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@database_sync_to_async
def coordinator_client() -> Client:
    user = services.staff_member_create(
        username="coord-alice", password=PASSWORD, is_coordinator=True
    )
    client = Client()
    client.force_login(user)  # both factors (tests/conftest.py)
    return client


def test_every_websocket_route_is_listed():
    assert {str(route.pattern) for route in websocket_urlpatterns} == set(SOCKETS)


async def test_a_password_without_second_factor_opens_no_staff_socket(sockets, staff):
    connected, socket = await sockets.connect(
        "/ws/staff", cookie=await password_only_cookie(staff.user)
    )
    assert await socket.close_code() == 4401
    assert socket.passed_over == []


async def test_a_revoked_device_is_cut_off_at_once_on_its_open_socket(
    sockets, device_auth, helpline, staff, login
):
    cookie = await login(staff)
    socket = await sockets.greeted("/ws/staff", cookie=cookie)
    assert isinstance(await socket.request(device_auth(staff, socket.hello.nonce)), f.DeviceReady)
    coordinator = await coordinator_client()
    response = await database_sync_to_async(coordinator.post)(
        f"/staff/api/devices/{staff.device_id}/revoke"
    )
    assert response.status_code == 200
    assert await socket.close_code() == 4403
    # The session it proved is over too: a new socket on it is refused.
    _, again = await sockets.connect("/ws/staff", cookie=cookie)
    assert await again.close_code() == 4401


async def test_signing_out_everywhere_closes_the_open_socket(
    sockets, device_auth, helpline, staff, login
):
    cookie = await login(staff)
    socket = await sockets.greeted("/ws/staff", cookie=cookie)
    await socket.request(device_auth(staff, socket.hello.nonce))
    coordinator = await coordinator_client()
    response = await database_sync_to_async(coordinator.post)(
        f"/staff/api/staff/{staff.user.pk}/sign-out"
    )
    assert response.status_code == 200
    assert await socket.close_code() == 4401


async def test_signing_out_closes_the_open_socket_before_any_device_auth(sockets, staff):
    client = Client()
    await database_sync_to_async(client.force_login)(staff.user)
    name = django_settings.SESSION_COOKIE_NAME
    socket = await sockets.greeted("/ws/staff", cookie=f"{name}={client.cookies[name].value}")
    await database_sync_to_async(client.post)("/staff/logout/")
    assert await socket.close_code() == 4401
