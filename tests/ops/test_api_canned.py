"""The canned replies' API (ops/api_canned.py) from every side: anonymous, an account
without a staff profile, an interpreter, a nurse (reads, never writes), the coordinator."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import Action, AuditEntry
from ops.canned import formats, services
from ops.canned.models import CannedReply, CannedVariable
from ops.canned.rules import ReplyData, TextData

API = "/staff/api/canned"
PREP = {
    "shortcut": "/PrEP",
    "title": "PrEP",
    "tags": ["PrEP", "ПрЕП"],
    "texts": {
        "fr": {"body": "La PrEP protège du VIH : {testing_centre}."},
        "bg": {"title": "ПрЕП", "body": "PrEP ви пази от ХИВ: {testing_centre}."},
    },
}
WRITES = [
    ("post", API, PREP),
    ("patch", API + "/{id}", {"title": "x"}),
    ("delete", API + "/{id}", None),
    ("post", API + "/{id}/review", {"version": 1}),
    ("delete", API + "/{id}/review", None),
    ("put", API + "/variables", {"variables": []}),
    ("post", API + "/import?format=json", None),
]
READS = [("get", API), ("get", API + "/export?format=csv")]


@pytest.fixture
def entry(db, now) -> CannedReply:
    return services.canned_reply_create(
        reply=ReplyData(
            shortcut="preservatif",
            title="Préservatifs",
            tags=("capote", "презерватив", "安全套"),
            texts={"fr": TextData(body="Un préservatif à chaque rapport, au {address}.")},
        ),
        now=now,
    )


def call(client: Client, method: str, path: str, body=None, entry=None):
    path = path.format(id=entry.pk if entry else 0)
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data=data, content_type="application/json")


@pytest.mark.parametrize(("method", "path", "body"), WRITES + [(*read, None) for read in READS])
def test_anonymous_is_refused_without_a_redirect(db, entry, method, path, body):
    response = call(Client(), method, path, body, entry)
    assert response.status_code == 403
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path", "body"), WRITES + [(*read, None) for read in READS])
def test_an_account_without_staff_profile_is_refused(outsider, entry, method, path, body):
    assert call(outsider, method, path, body, entry).status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), WRITES + [(*read, None) for read in READS])
def test_an_interpreter_is_refused_even_reading(interpreter, entry, method, path, body):
    assert call(interpreter.client, method, path, body, entry).status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_nurse_reads_but_cannot_edit(nurse, entry, method, path, body):
    response = call(nurse.client, method, path, body, entry)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert CannedReply.objects.get().title == "Préservatifs"
    assert CannedReply.objects.count() == 1
    assert CannedReply.objects.get().reviewed is False


def test_a_nurse_gets_the_library_with_missing_languages_and_no_edit_rights(nurse, entry):
    response = nurse.client.get(API)
    assert response.status_code == 200
    library = response.json()
    assert library["can_edit"] is False
    assert library["reference_language"] == "fr"
    assert library["languages"] == ["fr", "en", "bg", "ro", "ru", "es", "pt", "pt-BR", "zh"]
    (reply,) = library["replies"]
    assert reply["missing"] == ["en", "bg", "ro", "ru", "es", "pt", "pt-BR", "zh"]
    assert reply["texts"]["fr"]["body"].endswith("{address}.")
    assert "no-store" in response["Cache-Control"]


def test_the_library_is_searched_with_q_in_any_script(nurse, entry):
    for query, expected in [("презерв", ["preservatif"]), ("安全", ["preservatif"]), ("zz", [])]:
        shortcuts = [r["shortcut"] for r in nurse.client.get(API, {"q": query}).json()["replies"]]
        assert shortcuts == expected, query


def test_the_coordinator_creates_edits_and_deletes(coordinator, db):
    created = call(coordinator.client, "post", API, PREP)
    assert created.status_code == 201
    reply = created.json()
    assert reply["shortcut"] == "prep"
    assert reply["missing"] == ["en", "ro", "ru", "es", "pt", "pt-BR", "zh"]
    patched = call(
        coordinator.client,
        "patch",
        f"{API}/{reply['id']}",
        {"texts": {"en": {"body": "PrEP protects from HIV."}, "bg": None}},
    )
    assert patched.status_code == 200
    assert list(patched.json()["texts"]) == ["fr", "en"]
    assert "bg" in patched.json()["missing"]
    assert call(coordinator.client, "delete", f"{API}/{reply['id']}").status_code == 204
    assert call(coordinator.client, "delete", f"{API}/{reply['id']}").status_code == 404


def test_invalid_entries_are_explained_field_by_field(coordinator, entry):
    bad = {**PREP, "shortcut": "pré p", "texts": {"fr": {"body": "{adresse}"}}}
    response = call(coordinator.client, "post", API, bad)
    assert response.status_code == 400
    assert response.json()["error"] == "canned_invalid"
    fields = [problem["field"] for problem in response.json()["problems"]]
    assert fields == ["shortcut", "texts.fr.body"]
    taken = call(coordinator.client, "post", API, {**PREP, "shortcut": "preservatif"})
    assert (taken.status_code, taken.json()["error"]) == (409, "shortcut_taken")


def test_the_coordinator_sets_variable_values(coordinator, nurse):
    values = [
        {"name": "address", "value": "12 rue de la Paix"},
        {"name": "address", "language": "zh", "value": "和平街12号"},
        {"name": "phone", "value": ""},
    ]
    response = call(coordinator.client, "put", API + "/variables", {"variables": values})
    assert response.status_code == 200
    assert CannedVariable.objects.count() == 2  # an empty value is no value
    seen = nurse.client.get(API).json()["variables"]
    assert seen["names"] == ["next_opening", "address", "hours", "testing_centre", "phone"]
    assert {"name": "address", "language": "zh", "value": "和平街12号"} in seen["values"]
    bad = call(
        coordinator.client, "put", API + "/variables", {"variables": [{"name": "x", "value": "1"}]}
    )
    assert bad.status_code == 400
    assert CannedVariable.objects.count() == 2


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_export_then_import_through_the_api_round_trips(coordinator, entry, kind):
    exported = coordinator.client.get(API + "/export", {"format": kind})
    assert exported.status_code == 200
    assert f'.{kind}"' in exported["Content-Disposition"]
    entry_made = AuditEntry.objects.get(action=Action.EXPORT_MADE)
    assert entry_made.target == f"canned replies ({kind})"
    CannedReply.objects.all().delete()
    imported = coordinator.client.post(
        f"{API}/import?format={kind}", data=exported.content, content_type="text/plain"
    )
    assert imported.status_code == 200, imported.content
    assert imported.json()["created"] == 1
    again = coordinator.client.get(API + "/export", {"format": kind})
    assert again.content.split(b"\n", 3)[-1] == exported.content.split(b"\n", 3)[-1]


def test_a_bad_import_is_refused_with_its_rows_and_writes_nothing(coordinator, entry):
    data = formats.library_to_json(
        [
            ReplyData(shortcut="ok", title="OK", texts={"fr": TextData(body="b")}),
            ReplyData(shortcut="ok", title="Twice", texts={"fr": TextData(body="b")}),
        ]
    )
    response = coordinator.client.post(
        f"{API}/import?format=json&replace=1", data=data, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "import_invalid"
    assert response.json()["problems"][0]["row"] == 2
    assert list(CannedReply.objects.values_list("shortcut", flat=True)) == ["preservatif"]


def test_an_unknown_file_format_is_a_bad_request(coordinator):
    assert coordinator.client.get(API + "/export", {"format": "xlsx"}).status_code == 400


def test_the_canned_page_is_for_staff_not_interpreters(nurse, interpreter, client, db):
    assert nurse.client.get("/staff/canned/").status_code == 200
    assert interpreter.client.get("/staff/canned/").status_code == 403
    assert client.get("/staff/canned/").status_code == 302


# -- the review ----------------------------------------------------------------------------


def review(client: Client, entry: CannedReply, version: int):
    return call(client, "post", f"{API}/{entry.pk}/review", {"version": version})


def test_the_coordinator_marks_the_version_read_reviewed_and_everyone_sees_who_and_when(
    coordinator, nurse, entry
):
    response = review(coordinator.client, entry, 1)
    assert response.status_code == 200
    assert response.json()["reviewed"] is True
    (seen,) = nurse.client.get(API).json()["replies"]
    assert seen["reviewed"] is True
    assert seen["version"] == 1
    assert seen["review"]["version"] == 1 and seen["review"]["by"] == "alice"
    assert abs(seen["review"]["at"] - timezone.now().timestamp()) < 60
    assert nurse.client.get(API).json()["unreviewed"] == 0
    audited = AuditEntry.objects.get(action=Action.CANNED_REVIEWED)
    assert (audited.actor_name, audited.target, audited.details) == (
        "alice",
        "/preservatif",
        {"version": 1},
    )


def test_a_nurse_cannot_mark_an_entry_reviewed_nor_withdraw_a_review(coordinator, nurse, entry):
    refused = review(nurse.client, entry, 1)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert CannedReply.objects.get().reviewed is False
    assert not AuditEntry.objects.filter(action=Action.CANNED_REVIEWED).exists()
    review(coordinator.client, entry, 1)
    assert call(nurse.client, "delete", f"{API}/{entry.pk}/review").status_code == 403
    assert CannedReply.objects.get().reviewed is True


def test_editing_the_text_makes_it_unreviewed_again_and_the_page_says_which_version_was(
    coordinator, nurse, entry
):
    review(coordinator.client, entry, 1)
    patched = call(
        coordinator.client,
        "patch",
        f"{API}/{entry.pk}",
        {"texts": {"fr": {"body": "Un préservatif à chaque rapport, même oral."}}},
    )
    assert patched.status_code == 200
    (seen,) = nurse.client.get(API).json()["replies"]
    assert (seen["reviewed"], seen["version"], seen["review"]["version"]) == (False, 2, 1)
    changed = AuditEntry.objects.filter(action=Action.CANNED_CHANGED).latest("pk")
    assert changed.details == {"version": 2, "review_lost": True}
    assert changed.actor_name == "alice"


def test_marking_an_older_version_is_refused_with_a_reason(coordinator, entry):
    call(coordinator.client, "patch", f"{API}/{entry.pk}", {"texts": {"fr": {"body": "Autre."}}})
    stale = review(coordinator.client, entry, 1)
    assert (stale.status_code, stale.json()["error"]) == (409, "review_outdated")
    assert CannedReply.objects.get().reviewed is False


def test_reviewed_cannot_be_written_like_a_field(coordinator, entry):
    for method, path, body in [
        ("patch", f"{API}/{entry.pk}", {"reviewed": True}),
        ("post", API, {**PREP, "reviewed": True}),
    ]:
        assert call(coordinator.client, method, path, body).status_code == 400
    assert CannedReply.objects.filter(reviewed=True).count() == 0


def test_the_coordinator_withdraws_a_review(coordinator, entry):
    review(coordinator.client, entry, 1)
    withdrawn = call(coordinator.client, "delete", f"{API}/{entry.pk}/review")
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["reviewed"], withdrawn.json()["review"]) == (False, None)
    assert AuditEntry.objects.filter(action=Action.CANNED_REVIEW_WITHDRAWN).count() == 1


def test_brazilian_portuguese_texts_and_values_are_accepted(coordinator, nurse, entry):
    patched = call(
        coordinator.client,
        "patch",
        f"{API}/{entry.pk}",
        {"texts": {"pt-br": {"body": "Use camisinha em toda relação."}}},
    )
    assert patched.status_code == 200, patched.content
    assert "pt-BR" in patched.json()["texts"]
    values = [{"name": "address", "language": "pt-BR", "value": "Rua da Paz, 12"}]
    assert (
        call(coordinator.client, "put", API + "/variables", {"variables": values}).status_code
        == 200
    )
    library = nurse.client.get(API).json()
    assert {"name": "address", "language": "pt-BR", "value": "Rua da Paz, 12"} in library[
        "variables"
    ]["values"]
