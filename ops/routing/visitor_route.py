"""What a visitor is told of where their conversation stands with the team (the
`conversation.route` frame, docs/protocol.md §8.1): waiting, with how many conversations
are before theirs; taken by someone on the team; or closed by the team. Never who, and
nothing of the other conversations but how many wait before this one.

The queue's order for this count is the helpline's own: oldest waiting first
(``waiting_since``, kept by a conversation handed back, so it keeps its place). A staff
member's view of the queue puts their languages first; the count is the same for
everyone, and it only ever says roughly how long to wait.

Called by chat through settings.CHAT_ROUTE_STATUS_PROVIDER (a visitor resumes), and by
routing after every change of a route's state (ops/routing/services.py), whose events carry it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from chat.events import Event, visitor_group
from ops.models import Route


def route_status(route: Route) -> dict:
    """``{"state", "ahead"}``: ``ahead`` is the number of conversations waiting before
    this one when it waits, else None."""
    ahead = None
    if route.state == Route.State.WAITING:
        ahead = (
            Route.objects.filter(state=Route.State.WAITING)
            .filter(
                Q(waiting_since__lt=route.waiting_since)
                | Q(waiting_since=route.waiting_since, pk__lt=route.pk)
            )
            .count()
        )
    return {"state": route.state, "ahead": ahead}


def visitor_route_status(*, conversation_id: str) -> dict | None:
    """The status for a visitor who resumes; None for a conversation without a route."""
    route = Route.objects.filter(pk=conversation_id).first()
    return route_status(route) if route is not None else None


def route_event(conversation_id: str, status: dict) -> Event:
    return visitor_group(conversation_id), {
        "type": "conversation.route",
        "conversation_id": conversation_id,
        **status,
    }


def visitors_told(routes: Iterable[Route]) -> list[Event]:
    """After routes changed state: their visitors learn the new state, and every visitor
    waiting learns their place (one leaving or joining the queue moves the others)."""
    waiting = list(
        Route.objects.filter(state=Route.State.WAITING)
        .order_by("waiting_since", "pk")
        .values_list("pk", flat=True)
    )
    places = {str(pk): ahead for ahead, pk in enumerate(waiting)}
    events = [
        route_event(conversation_id, {"state": Route.State.WAITING, "ahead": ahead})
        for conversation_id, ahead in places.items()
    ]
    for route in routes:
        conversation_id = str(route.pk)
        if conversation_id not in places:
            events.append(route_event(conversation_id, {"state": route.state, "ahead": None}))
    return events
