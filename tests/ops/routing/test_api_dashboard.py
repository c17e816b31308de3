"""The dashboard and rota API (ops/routing/api.py, ops/rota/api.py), from every side:
anonymous, an account that is not staff, an interpreter, staff on and off shift, staff
at the coordinator's endpoints, missing CSRF tokens — and what each endpoint answers."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from chat.crypto.encoding import b64encode
from ops import clock
from ops.models import Closure, Note, Route, Shift, Slot, StaffProfile
from tests.ops.conftest import AT

API = "/staff/api"
NOWHERE = "00000000-0000-4000-8000-000000000000"
NOTE_CT = b"\x04" + bytes(64) + b"sealed" + bytes(16)

STAFF_ENDPOINTS = [
    ("get", "/dashboard"),
    ("post", "/presence"),
    ("post", f"/routes/{NOWHERE}/claim"),
    ("post", f"/routes/{NOWHERE}/transfer"),
    ("post", f"/routes/{NOWHERE}/close"),
    ("get", f"/routes/{NOWHERE}/notes"),
    ("post", f"/routes/{NOWHERE}/notes"),
]
COORDINATOR_ENDPOINTS = [
    ("get", "/rota/slots"),
    ("post", "/rota/slots"),
    ("patch", "/rota/slots/1"),
    ("delete", "/rota/slots/1"),
    ("get", "/rota/shifts"),
    ("post", "/rota/shifts"),
    ("patch", "/rota/shifts/1"),
    ("delete", "/rota/shifts/1"),
    ("get", "/rota/closures"),
    ("post", "/rota/closures"),
    ("patch", "/rota/closures/1"),
    ("delete", "/rota/closures/1"),
    ("get", "/staff"),
    ("patch", "/staff/1"),
]
ENDPOINTS = STAFF_ENDPOINTS + COORDINATOR_ENDPOINTS
UNSAFE_ENDPOINTS = [(method, path) for method, path in ENDPOINTS if method != "get"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> None:
    """The API reads ops.clock.now(); here it is the rota tests' Tuesday afternoon."""
    monkeypatch.setattr(clock, "now", lambda: AT)


def call(client: Client, method: str, path: str, body=None, **extra):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(API + path, data=data, content_type="application/json", **extra)


def error_of(response) -> str:
    return response.json()["error"]


# -- who may call what -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_403_in_json(db, method, path):
    response = call(Client(), method, path)
    assert response.status_code == 403
    assert error_of(response) == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_account_without_staff_profile_is_refused(outsider, method, path):
    response = call(outsider, method, path)
    assert (response.status_code, error_of(response)) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_interpreter_is_refused_everywhere(interpreter, method, path):
    response = call(interpreter.client, method, path)
    assert (response.status_code, error_of(response)) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), COORDINATOR_ENDPOINTS)
def test_staff_cannot_use_the_coordinators_endpoints(staff_on_shift, method, path):
    response = call(staff_on_shift.client, method, path)
    assert (response.status_code, error_of(response)) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), UNSAFE_ENDPOINTS)
def test_a_change_without_the_csrf_token_is_refused(coordinator, method, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator.user)
    response = call(client, method, path, {})
    assert (response.status_code, error_of(response)) == (403, "csrf_failed")


def test_a_change_with_the_csrf_header_goes_through(staff_on_shift):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_on_shift.user)
    client.get("/staff/")  # sets the csrftoken cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = call(client, "post", "/presence", {"presence": "busy"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_a_wrong_method_is_refused_with_the_allowed_ones(coordinator):
    response = call(coordinator.client, "put", "/rota/slots")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


# -- the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_shows_me_my_shift_the_queue_and_my_conversations(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    mine = visitor_opens()
    waiting = visitor_opens(language="bg")
    call(staff_on_shift.client, "post", f"/routes/{mine.conversation_id}/claim")
    response = call(staff_on_shift.client, "get", "/dashboard")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["now"] == int(AT.timestamp())
    me = body["me"]
    assert (me["user_id"], me["load"], me["capacity"], me["presence"]) == (
        staff_on_shift.user.pk,
        1,
        4,
        "available",
    )
    assert me["on_shift"] is True
    assert me["shift_ends_at"] == int(AT.replace(hour=15).timestamp())  # 17:00 in Paris
    (shift,) = body["shifts"]
    assert {member["name"] for member in shift["staff"]} == {"dora", "fred"}
    assert [entry["conversation_id"] for entry in body["queue"]] == [waiting.conversation_id]
    assert body["queue"][0]["language_match"] is True
    assert body["queue"][0]["waiting_seconds"] == 0
    assert [entry["conversation_id"] for entry in body["mine"]] == [mine.conversation_id]
    assert body["mine"][0]["last_read_order"] == 0
    assert body["next_opening"] == int(AT.replace(day=23, hour=12).timestamp())
    assert body["auto_assign"] is False


def test_staff_off_shift_see_the_dashboard_but_are_not_on_shift(staff_off_shift, afternoon):
    me = call(staff_off_shift.client, "get", "/dashboard").json()["me"]
    assert (me["on_shift"], me["shift_ends_at"]) == (False, None)


def test_the_demo_superuser_without_profile_gets_a_dashboard(db, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x" * 16)
    client = Client()
    client.force_login(root)
    body = call(client, "get", "/dashboard").json()
    assert body["me"]["is_coordinator"] is True
    assert call(client, "post", "/presence", {"presence": "busy"}).status_code == 200
    assert StaffProfile.objects.get(user=root).is_coordinator


# -- presence ------------------------------------------------------------------------------------


def test_staff_choose_their_presence(staff_on_shift):
    response = call(staff_on_shift.client, "post", "/presence", {"presence": "busy"})
    assert response.json() == {"presence": "busy"}
    assert StaffProfile.objects.get(user=staff_on_shift.user).presence == "busy"


@pytest.mark.parametrize("body", [{"presence": "asleep"}, {}, {"presence": "busy", "x": 1}])
def test_a_presence_that_does_not_exist_is_a_bad_request(staff_on_shift, body):
    assert call(staff_on_shift.client, "post", "/presence", body).status_code == 400


# -- claims --------------------------------------------------------------------------------------


def test_staff_on_shift_claim_and_the_second_claimer_gets_409(
    visitor_opens, staff_on_shift, colleague_on_shift, django_capture_on_commit_callbacks
):
    opened = visitor_opens()
    path = f"/routes/{opened.conversation_id}/claim"
    with django_capture_on_commit_callbacks() as callbacks:
        first = call(staff_on_shift.client, "post", path)
    assert first.status_code == 200
    assert first.json()["route"]["assigned_to"] == staff_on_shift.user.pk
    assert callbacks  # the events go out once the claim committed
    second = call(colleague_on_shift.client, "post", path)
    assert (second.status_code, error_of(second)) == (409, "already_claimed")


def test_staff_off_shift_cannot_claim(visitor_opens, staff_off_shift, afternoon):
    opened = visitor_opens()
    response = call(staff_off_shift.client, "post", f"/routes/{opened.conversation_id}/claim")
    assert (response.status_code, error_of(response)) == (403, "not_on_shift")
    assert Route.objects.get(pk=opened.conversation_id).state == "waiting"


def test_a_coordinator_claims_off_shift(visitor_opens, coordinator):
    opened = visitor_opens()
    response = call(coordinator.client, "post", f"/routes/{opened.conversation_id}/claim")
    assert response.status_code == 200


def test_claiming_over_capacity_is_409(visitor_opens, staff_on_shift, coordinator):
    call(coordinator.client, "patch", f"/staff/{staff_on_shift.user.pk}", {"capacity": 1})
    first, second = visitor_opens(), visitor_opens()
    call(staff_on_shift.client, "post", f"/routes/{first.conversation_id}/claim")
    response = call(staff_on_shift.client, "post", f"/routes/{second.conversation_id}/claim")
    assert (response.status_code, error_of(response)) == (409, "over_capacity")


def test_claiming_an_unknown_conversation_is_404(staff_on_shift):
    response = call(staff_on_shift.client, "post", f"/routes/{NOWHERE}/claim")
    assert (response.status_code, error_of(response)) == (404, "not_found")


# -- transfers, notes, closing ---------------------------------------------------------------


def note_body() -> dict:
    return {"ct": b64encode(NOTE_CT), "team_key_version": 1}


def test_a_warm_transfer_with_a_note_and_the_colleague_reads_it(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    response = call(
        staff_on_shift.client,
        "post",
        base + "/transfer",
        {"to_user_id": colleague_on_shift.user.pk, "note": note_body()},
    )
    assert response.status_code == 200
    assert response.json()["route"]["assigned_to"] == colleague_on_shift.user.pk
    (note,) = call(colleague_on_shift.client, "get", base + "/notes").json()["notes"]
    assert note["kind"] == "transfer"
    assert note["ct"] == b64encode(NOTE_CT)
    assert note["team_key_version"] == 1
    assert note["author"] == {"user_id": staff_on_shift.user.pk, "name": "dora"}


def test_a_cold_transfer_puts_it_back_in_the_queue(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    response = call(staff_on_shift.client, "post", base + "/transfer", {"to_user_id": None})
    assert response.json()["route"]["state"] == "waiting"
    assert response.json()["route"]["handed_over"] is True


def test_a_colleague_cannot_transfer_or_close_someone_elses(
    visitor_opens, staff_on_shift, colleague_on_shift
):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    transfer = call(colleague_on_shift.client, "post", base + "/transfer", {})
    close = call(colleague_on_shift.client, "post", base + "/close")
    note = call(colleague_on_shift.client, "post", base + "/notes", note_body())
    assert [error_of(r) for r in (transfer, close, note)] == ["not_yours"] * 3
    assert Route.objects.get(pk=opened.conversation_id).assigned_to_id == staff_on_shift.user.pk


@pytest.mark.parametrize(
    "note",
    [
        {"ct": b64encode(b"short"), "team_key_version": 1},
        {"ct": b64encode(bytes(4082)), "team_key_version": 1},
        {"ct": "not base64!", "team_key_version": 1},
        {"ct": b64encode(NOTE_CT), "team_key_version": 0},
    ],
)
def test_a_note_of_the_wrong_size_or_shape_is_refused(visitor_opens, staff_on_shift, note):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    response = call(staff_on_shift.client, "post", base + "/transfer", {"note": note})
    assert response.status_code == 400
    assert not Note.objects.exists()


def test_a_note_to_an_unknown_team_key_version_is_refused(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    response = call(
        staff_on_shift.client,
        "post",
        base + "/notes",
        {"ct": b64encode(NOTE_CT), "team_key_version": 9},
    )
    assert response.status_code == 404
    assert not Note.objects.exists()


def test_the_person_who_has_it_writes_a_hand_over_note_and_closes_it(visitor_opens, staff_on_shift):
    opened = visitor_opens()
    base = f"/routes/{opened.conversation_id}"
    call(staff_on_shift.client, "post", base + "/claim")
    written = call(staff_on_shift.client, "post", base + "/notes", note_body())
    assert (written.status_code, written.json()["kind"]) == (201, "handover")
    closed = call(staff_on_shift.client, "post", base + "/close")
    assert closed.json()["route"]["state"] == "closed"


def test_notes_of_an_unknown_conversation_are_404(staff_on_shift):
    response = call(staff_on_shift.client, "get", f"/routes/{NOWHERE}/notes")
    assert response.status_code == 404


# -- the rota ------------------------------------------------------------------------------------


def test_the_coordinator_creates_edits_and_deletes_a_weekly_slot(coordinator, staff_on_shift):
    created = call(
        coordinator.client,
        "post",
        "/rota/slots",
        {"weekday": 2, "start": "09:30", "end": "12:00", "label": "Jeunes", "skill": "minors"},
    )
    assert created.status_code == 201
    slot = created.json()
    assert (slot["weekday"], slot["start"], slot["end"], slot["staff"]) == (2, "09:30", "12:00", [])
    patched = call(
        coordinator.client,
        "patch",
        f"/rota/slots/{slot['id']}",
        {"end": "12:30", "staff": [staff_on_shift.user.pk]},
    )
    assert patched.json()["end"] == "12:30"
    assert patched.json()["staff"] == [staff_on_shift.user.pk]
    assert patched.json()["label"] == "Jeunes"
    listed = call(coordinator.client, "get", "/rota/slots").json()["slots"]
    assert slot["id"] in [entry["id"] for entry in listed]
    assert call(coordinator.client, "delete", f"/rota/slots/{slot['id']}").status_code == 204
    assert not Slot.objects.filter(pk=slot["id"]).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"weekday": 7, "start": "09:00", "end": "10:00", "label": "x"}, "bad_request"),
        ({"weekday": 1, "start": "9h", "end": "10:00", "label": "x"}, "bad_request"),
        ({"weekday": 1, "start": "24:00", "end": "10:00", "label": "x"}, "bad_request"),
        ({"weekday": 1, "start": "10:00", "end": "10:00", "label": "x"}, "rota_invalid"),
        ({"weekday": 1, "start": "09:00", "end": "10:00", "label": ""}, "bad_request"),
        (
            {"weekday": 1, "start": "09:00", "end": "10:00", "label": "x", "skill": "x"},
            "bad_request",
        ),
        (
            {"weekday": 1, "start": "09:00", "end": "10:00", "label": "x", "staff": [999]},
            "rota_invalid",
        ),
    ],
)
def test_a_slot_that_cannot_be_is_refused(coordinator, body, code):
    response = call(coordinator.client, "post", "/rota/slots", body)
    assert (response.status_code, error_of(response)) == (400, code)
    assert not Slot.objects.exists()


def test_editing_a_slot_that_does_not_exist_is_404(coordinator):
    assert call(coordinator.client, "patch", "/rota/slots/99", {"label": "x"}).status_code == 404
    assert call(coordinator.client, "delete", "/rota/slots/99").status_code == 404


def test_the_coordinator_adds_a_one_off_shift_and_lists_upcoming_ones(coordinator, staff_on_shift):
    created = call(
        coordinator.client,
        "post",
        "/rota/shifts",
        {
            "date": "2026-06-20",
            "start": "20:00",
            "end": "23:00",
            "label": "Renfort",
            "staff": [staff_on_shift.user.pk],
        },
    )
    assert created.status_code == 201
    shift_id = created.json()["id"]
    call(
        coordinator.client,
        "post",
        "/rota/shifts",
        {"date": "2026-01-05", "start": "20:00", "end": "23:00", "label": "Passé"},
    )
    listed = call(coordinator.client, "get", "/rota/shifts").json()["shifts"]
    assert [entry["label"] for entry in listed] == ["Renfort"]
    moved = call(coordinator.client, "patch", f"/rota/shifts/{shift_id}", {"date": "2026-06-21"})
    assert moved.json()["date"] == "2026-06-21"
    assert call(coordinator.client, "delete", f"/rota/shifts/{shift_id}").status_code == 204
    assert not Shift.objects.filter(pk=shift_id).exists()


def test_the_coordinator_manages_closures(coordinator):
    created = call(
        coordinator.client,
        "post",
        "/rota/closures",
        {"start_date": "2026-08-01", "end_date": "2026-08-15", "reason": "Fermeture estivale"},
    )
    assert created.status_code == 201
    closure_id = created.json()["id"]
    again = call(
        coordinator.client,
        "post",
        "/rota/closures",
        {"start_date": "2026-08-01", "end_date": "2026-08-15", "reason": "Fermeture estivale"},
    )
    assert (again.status_code, error_of(again)) == (400, "rota_invalid")
    backwards = call(
        coordinator.client, "patch", f"/rota/closures/{closure_id}", {"end_date": "2026-07-01"}
    )
    assert (backwards.status_code, error_of(backwards)) == (400, "rota_invalid")
    listed = call(coordinator.client, "get", "/rota/closures").json()["closures"]
    assert listed == [
        {
            "id": closure_id,
            "start_date": "2026-08-01",
            "end_date": "2026-08-15",
            "reason": "Fermeture estivale",
        }
    ]
    assert call(coordinator.client, "delete", f"/rota/closures/{closure_id}").status_code == 204
    assert not Closure.objects.exists()


# -- staff members ---------------------------------------------------------------------------


def test_the_coordinator_sets_languages_skills_and_capacity(coordinator, staff_on_shift):
    response = call(
        coordinator.client,
        "patch",
        f"/staff/{staff_on_shift.user.pk}",
        {"languages": ["FR", "ru", "fr"], "skills": ["trans", "health"], "capacity": 6},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["languages"], body["skills"], body["capacity"]) == (
        ["fr", "ru"],
        ["health", "trans"],
        6,
    )
    listed = call(coordinator.client, "get", "/staff").json()["staff"]
    assert staff_on_shift.user.pk in [member["user_id"] for member in listed]


@pytest.mark.parametrize(
    "body",
    [{"skills": ["cooking"]}, {"capacity": -1}, {"capacity": 51}, {"languages": ["français"]}],
)
def test_routing_data_that_cannot_be_is_refused(coordinator, staff_on_shift, body):
    response = call(coordinator.client, "patch", f"/staff/{staff_on_shift.user.pk}", body)
    assert response.status_code == 400


def test_an_interpreter_has_no_routing_data_to_set(coordinator, interpreter):
    response = call(coordinator.client, "patch", f"/staff/{interpreter.user.pk}", {"capacity": 2})
    assert response.status_code == 404
