"""The coordinator's rota page (/staff/rota/): who gets it, what it carries. The page is
a shell; the rota itself comes from the rota API (tested in
tests/ops/routing/test_api_dashboard.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation

from tests.ops.conftest import member_make
from tests.ops.test_pages import assert_no_inline_code, static_paths, strings_of, tags_of

ROTA = "/staff/rota/"


@pytest.fixture
def superuser_without_profile(db) -> Client:
    """The demo account's kind: a superuser without a saved staff profile (a coordinator)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username="root", password="x" * 20)
    client = Client()
    client.force_login(user)
    return client


# -- who gets it -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(db):
    response = Client().get(ROTA)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/login/?next={ROTA}"


def test_the_coordinator_gets_the_rota_page(coordinator):
    response = coordinator.client.get(ROTA)
    assert response.status_code == 200
    for section in [
        b'id="slot-form"',
        b'id="shift-form"',
        b'id="closure-form"',
        b'id="staff-table"',
    ]:
        assert section in response.content


def test_a_superuser_without_profile_gets_it_as_a_coordinator(superuser_without_profile):
    assert superuser_without_profile.get(ROTA).status_code == 200


def test_a_nurse_is_refused_the_rota_page(nurse):
    response = nurse.client.get(ROTA)
    assert response.status_code == 403
    assert b'id="rota"' not in response.content
    assert "Content-Security-Policy" in response


def test_an_interpreter_is_refused_the_rota_page(db):
    iris = member_make("iris2", public_label="Interprète", is_interpreter=True)
    assert iris.client.get(ROTA).status_code == 403


def test_an_interpreter_coordinator_is_refused_too(db):
    """The rota API refuses interpreter profiles; the page does not offer what it cannot do."""
    odd = member_make("ines", is_interpreter=True, is_coordinator=True)
    assert odd.client.get(ROTA).status_code == 403


def test_an_account_without_staff_profile_is_refused(outsider):
    assert outsider.get(ROTA).status_code == 403


def test_only_the_coordinator_sees_the_link_to_the_rota(coordinator, nurse):
    assert b'href="/staff/rota/"' in coordinator.client.get("/staff/").content
    assert b'href="/staff/rota/"' not in nurse.client.get("/staff/").content


def test_the_rota_link_is_marked_current_on_its_page(coordinator):
    links = [attrs for tag, attrs in tags_of(coordinator.client.get(ROTA)) if tag == "a"]
    current = [attrs["href"] for attrs in links if attrs.get("aria-current") == "page"]
    assert current == [ROTA]


# -- what it carries ----------------------------------------------------------------------------


def test_it_carries_the_strict_csp_and_is_not_cached(coordinator):
    response = coordinator.client.get(ROTA)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_it_has_no_inline_script_or_style(coordinator):
    assert_no_inline_code(coordinator.client.get(ROTA))


def test_it_loads_its_code_as_one_es_module_that_exists(coordinator):
    response = coordinator.client.get(ROTA)
    scripts = [attrs for tag, attrs in tags_of(response) if tag == "script"]
    assert [attrs["src"] for attrs in scripts if attrs.get("type") == "module"] == [
        "/static/ops/topbar.js",  # the top bar's sections menu, on every staff page
        "/static/ops/rota.js",
    ]
    for path in static_paths(response):
        assert finders.find(path), path


def test_it_sends_the_csrf_token_for_the_api(coordinator):
    response = coordinator.client.get(ROTA)
    assert re.search(rb'<meta name="csrf-token" content="[A-Za-z0-9]{32,}">', response.content)


def test_it_names_the_helplines_time_zone(coordinator, settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert b'data-time-zone="Europe/Paris"' in coordinator.client.get(ROTA).content


def test_its_strings_cover_every_key_its_module_uses(coordinator):
    strings = strings_of(coordinator.client.get(ROTA).content.decode())
    source = Path(finders.find("ops/rota.js")).read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\(\s*"([a-z_.]+)"', source))
    used |= {f"skill.{skill}" for skill in ["minors", "trans", "health", "legal", "social"]}
    used |= {
        f"rota.invalid.{field}"
        for field in ["weekday", "date", "start", "end", "label", "skill", "staff"]
        + ["start_date", "end_date", "reason", "languages", "skills", "capacity"]
    }
    assert used - strings.keys() == set()


def test_it_speaks_french_by_default_and_english_on_request(coordinator):
    french = coordinator.client.get(ROTA).content.decode()
    assert "Permanences hebdomadaires" in french
    assert strings_of(french)["rota.delete"] == "Supprimer"
    coordinator.client.post("/staff/language/", {"language": "en", "next": ROTA})
    english = coordinator.client.get(ROTA).content.decode()
    assert "Weekly slots" in english
    assert strings_of(english)["rota.delete"] == "Delete"
    translation.activate("fr")


def test_the_dashboard_strings_cover_every_key_its_modules_use(nurse):
    """The same check for the shift dashboard (its keys are in the staff app's block)."""
    strings = strings_of(nurse.client.get("/staff/").content.decode())
    used: set[str] = set()
    for name in ["dashboard.js", "workspace.js", "staff-app.js", "time-text.js"]:
        source = Path(finders.find(f"ops/{name}")).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([a-z_.]+)"', source))
    used |= {f"presence.{p}" for p in ["available", "busy", "away"]}
    used |= {f"note.kind.{k}" for k in ["handover", "transfer"]}
    assert used - strings.keys() == set()
