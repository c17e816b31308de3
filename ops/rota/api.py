"""The coordinator's rota API (ops/README.md "Rota API"): weekly slots, one-off shifts,
closures, and what routing knows of each staff member. Coordinator only.

Times are wall-clock "HH:MM" in the helpline's zone, dates "YYYY-MM-DD". PATCH bodies
carry only the fields that change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

import msgspec
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse

from chat.events import events_publish_on_commit
from ops import clock
from ops.devices import selectors, services
from ops.jsonapi import Body, api_methods, api_view, body_parse
from ops.models import Closure, Shift, Slot, StaffProfile
from ops.rota import selectors as rota
from ops.rota import services as rota_edits
from ops.routing.events import member_json

WallTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6)]
UserId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
StaffIds = Annotated[list[UserId], msgspec.Meta(max_length=50)]
SkillName = Literal["minors", "trans", "health", "legal", "social"]
Focus = Literal["", "minors", "trans", "health", "legal", "social"]
LanguageCode = Annotated[str, msgspec.Meta(pattern="^[a-zA-Z]{2,3}$")]
UNSET: Any = msgspec.UNSET

# -- bodies ---------------------------------------------------------------------------------


class SlotBody(Body):
    weekday: Weekday
    start: WallTime
    end: WallTime
    label: Label
    skill: Focus = ""
    staff: StaffIds = []


class SlotPatch(Body):
    weekday: Weekday | msgspec.UnsetType = UNSET
    start: WallTime | msgspec.UnsetType = UNSET
    end: WallTime | msgspec.UnsetType = UNSET
    label: Label | msgspec.UnsetType = UNSET
    skill: Focus | msgspec.UnsetType = UNSET
    staff: StaffIds | msgspec.UnsetType = UNSET


class ShiftBody(Body):
    date: date
    start: WallTime
    end: WallTime
    label: Label
    skill: Focus = ""
    staff: StaffIds = []


class ShiftPatch(Body):
    date: date | msgspec.UnsetType = UNSET
    start: WallTime | msgspec.UnsetType = UNSET
    end: WallTime | msgspec.UnsetType = UNSET
    label: Label | msgspec.UnsetType = UNSET
    skill: Focus | msgspec.UnsetType = UNSET
    staff: StaffIds | msgspec.UnsetType = UNSET


class ClosureBody(Body):
    start_date: date
    end_date: date
    reason: Reason


class ClosurePatch(Body):
    start_date: date | msgspec.UnsetType = UNSET
    end_date: date | msgspec.UnsetType = UNSET
    reason: Reason | msgspec.UnsetType = UNSET


class StaffPatch(Body):
    languages: Annotated[list[LanguageCode], msgspec.Meta(max_length=20)] | msgspec.UnsetType = (
        UNSET
    )
    skills: Annotated[list[SkillName], msgspec.Meta(max_length=5)] | msgspec.UnsetType = UNSET
    capacity: Annotated[int, msgspec.Meta(ge=0, le=50)] | msgspec.UnsetType = UNSET


def given(body: Body) -> dict[str, Any]:
    """The fields a body carries (PATCH), wall times as `time`."""
    fields = {
        name: getattr(body, name)
        for name in body.__struct_fields__
        if getattr(body, name) is not msgspec.UNSET
    }
    for name in ("start", "end"):
        if name in fields:
            fields[name] = time.fromisoformat(fields[name])
    return fields


# -- shapes ---------------------------------------------------------------------------------


def entry_json(entry: Slot | Shift) -> dict:
    return {
        "id": entry.pk,
        "label": entry.label,
        "start": entry.start.strftime("%H:%M"),
        "end": entry.end.strftime("%H:%M"),
        "skill": entry.skill,
        "staff": sorted(user.pk for user in entry.staff.all()),
    }


def slot_json(slot: Slot) -> dict:
    return {**entry_json(slot), "weekday": slot.weekday}


def shift_json(shift: Shift) -> dict:
    return {**entry_json(shift), "date": shift.date.isoformat()}


def closure_json(closure: Closure) -> dict:
    return {
        "id": closure.pk,
        "start_date": closure.start_date.isoformat(),
        "end_date": closure.end_date.isoformat(),
        "reason": closure.reason,
    }


def recent_past() -> date:
    """Lists start from yesterday (helpline's zone): a night shift may still be open."""
    return rota.local_date(clock.now()) - timedelta(days=1)


def deleted(events: list) -> HttpResponse:
    events_publish_on_commit(events)
    return HttpResponse(status=204)


def saved(events: list, body: dict, status: int = 200) -> JsonResponse:
    events_publish_on_commit(events)
    return JsonResponse(body, status=status)


# -- weekly slots and one-off shifts ---------------------------------------------------------


def rota_entry_views(
    model: type[Slot] | type[Shift],
    *,
    key: str,
    body: type[Body],
    patch: type[Body],
    to_json: Callable[[Any], dict],
    listed: Callable[[], QuerySet],
) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
    """The views of one kind of rota entry (weekly slots, one-off shifts), which differ
    only in their model, bodies, shape and list: (list + create, update + delete), the
    collection's URL and the entry's."""

    @api_view(method="GET", coordinator=True, interpreters=False)
    def entries_list(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
        return JsonResponse({key: [to_json(entry) for entry in listed()]})

    @api_view(method="POST", coordinator=True, interpreters=False)
    def entry_create(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
        fields = given(body_parse(request, body))
        staff = fields.pop("staff")
        entry, events = rota_edits.rota_entry_create(
            model, fields=fields, staff_ids=staff, at=clock.now()
        )
        return saved(events, to_json(entry), status=201)

    @api_view(method="PATCH", coordinator=True, interpreters=False)
    def entry_update(request: HttpRequest, profile: StaffProfile, entry_id: int) -> JsonResponse:
        fields = given(body_parse(request, patch))
        staff = fields.pop("staff", None)
        entry, events = rota_edits.rota_entry_update(
            model, entry_id=entry_id, fields=fields, staff_ids=staff, at=clock.now()
        )
        return saved(events, to_json(entry))

    @api_view(method="DELETE", coordinator=True, interpreters=False)
    def entry_delete(request: HttpRequest, profile: StaffProfile, entry_id: int) -> HttpResponse:
        return deleted(rota_edits.rota_entry_delete(model, entry_id=entry_id, at=clock.now()))

    return (
        api_methods(GET=entries_list, POST=entry_create),
        api_methods(PATCH=entry_update, DELETE=entry_delete),
    )


def slots_listed() -> QuerySet:
    return Slot.objects.prefetch_related("staff").order_by("weekday", "start", "pk")


def shifts_listed() -> QuerySet:
    return (
        Shift.objects.filter(date__gte=recent_past())
        .prefetch_related("staff")
        .order_by("date", "start", "pk")
    )


# -- closures ---------------------------------------------------------------------------------


@api_view(method="GET", coordinator=True, interpreters=False)
def closures_list(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    closures = Closure.objects.filter(end_date__gte=recent_past()).order_by("start_date", "pk")
    return JsonResponse({"closures": [closure_json(closure) for closure in closures]})


@api_view(method="POST", coordinator=True, interpreters=False)
def closure_create(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, ClosureBody)
    closure, events = rota_edits.closure_create(
        start_date=body.start_date, end_date=body.end_date, reason=body.reason, at=clock.now()
    )
    return saved(events, closure_json(closure), status=201)


@api_view(method="PATCH", coordinator=True, interpreters=False)
def closure_update(request: HttpRequest, profile: StaffProfile, entry_id: int) -> JsonResponse:
    fields = given(body_parse(request, ClosurePatch))
    closure, events = rota_edits.closure_update(closure_id=entry_id, fields=fields, at=clock.now())
    return saved(events, closure_json(closure))


@api_view(method="DELETE", coordinator=True, interpreters=False)
def closure_delete(request: HttpRequest, profile: StaffProfile, entry_id: int) -> HttpResponse:
    return deleted(rota_edits.closure_delete(closure_id=entry_id, at=clock.now()))


# -- staff members ----------------------------------------------------------------------------


@api_view(method="GET", coordinator=True, interpreters=False)
def staff_list(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    """Everyone who can be put on the rota, with what routing knows of them."""
    at = clock.now()
    profiles = selectors.routing_profiles(StaffProfile.objects.values_list("user_id", flat=True))
    loads = selectors.loads_of(p.user_id for p in profiles)
    members = [member_json(p, at=at, load=loads[p.user_id]) for p in profiles]
    return JsonResponse({"staff": members})


@api_view(method="PATCH", coordinator=True, interpreters=False)
def staff_update(request: HttpRequest, profile: StaffProfile, user_id: int) -> JsonResponse:
    fields = given(body_parse(request, StaffPatch))
    at = clock.now()
    updated, events = services.staff_routing_set(user_id=user_id, at=at, **fields)
    load = selectors.loads_of([updated.user_id])[updated.user_id]
    return saved(events, member_json(updated, at=at, load=load))


slots, slot = rota_entry_views(
    Slot, key="slots", body=SlotBody, patch=SlotPatch, to_json=slot_json, listed=slots_listed
)
shifts, shift = rota_entry_views(
    Shift, key="shifts", body=ShiftBody, patch=ShiftPatch, to_json=shift_json, listed=shifts_listed
)
closures = api_methods(GET=closures_list, POST=closure_create)
closure = api_methods(PATCH=closure_update, DELETE=closure_delete)
