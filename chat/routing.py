"""Websocket routes. The token never appears in a URL (docs/protocol.md §8.2)."""

from __future__ import annotations

from django.urls import path

from chat.consumers import StaffConsumer, VisitorConsumer

websocket_urlpatterns = [
    path("ws/visitor", VisitorConsumer.as_asgi()),
    path("ws/staff", StaffConsumer.as_asgi()),
]
