"""The staff pages: who gets them, what they carry (no inline script or style, the strict
CSP, their ES modules), and their languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.ops.conftest import PASSWORD
from tests.two_factor import authenticator_for, totp_code

PAGES = ["/staff/", "/staff/setup/"]


class Tags(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(response) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(response.content.decode())
    return parser.tags


def assert_no_inline_code(response) -> None:
    """Scripts come from files (or are JSON data blocks, which never run); no style
    attribute or element (the CSP would block them anyway)."""
    for tag, attrs in tags_of(response):
        assert tag != "style"
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs


def strings_of(content: str) -> dict[str, str]:
    """The translated strings the page hands its JavaScript (a JSON data block)."""
    block = re.search(r'<script id="ops-strings" type="application/json">(.*?)</script>', content)
    return json.loads(block.group(1))


def static_paths(response) -> list[str]:
    paths = []
    for tag, attrs in tags_of(response):
        url = attrs.get("src") if tag == "script" else attrs.get("href") if tag == "link" else None
        if url and url.startswith("/static/"):
            paths.append(url.removeprefix("/static/"))
    return paths


# -- who gets which page ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_login_page(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/login/?next={path}"


@pytest.mark.parametrize("path", PAGES)
def test_an_account_without_staff_profile_is_refused(outsider, path):
    response = outsider.get(path)
    assert response.status_code == 403
    assert "Content-Security-Policy" in response


def test_a_nurse_gets_the_staff_app(nurse):
    response = nurse.client.get("/staff/")
    assert response.status_code == 200
    assert b'data-label="Infirmi\xc3\xa8re"' in response.content
    assert b'id="gate-pending"' in response.content


def test_a_nurse_is_refused_the_setup_page(nurse):
    response = nurse.client.get("/staff/setup/")
    assert response.status_code == 403
    assert b'id="setup"' not in response.content


def test_a_nurse_sees_no_link_to_the_setup_page(nurse):
    assert b'href="/staff/setup/"' not in nurse.client.get("/staff/").content


def test_the_coordinator_gets_the_setup_page(coordinator):
    response = coordinator.client.get("/staff/setup/")
    assert response.status_code == 200
    assert b'id="admin-create-form"' in response.content
    assert b'href="/staff/setup/"' in coordinator.client.get("/staff/").content


# -- what the pages carry ----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_strict_csp_and_are_not_cached(coordinator, path):
    response = coordinator.client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", [*PAGES, "/staff/login/"])
def test_pages_have_no_inline_script_or_style(coordinator, path):
    client = coordinator.client if path != "/staff/login/" else Client()
    assert_no_inline_code(client.get(path))


@pytest.mark.parametrize("path", [*PAGES, "/staff/login/"])
def test_every_static_file_a_page_names_exists(coordinator, path):
    client = coordinator.client if path != "/staff/login/" else Client()
    paths = static_paths(client.get(path))
    assert paths
    for path_ in paths:
        assert finders.find(path_), path_


@pytest.mark.parametrize("path", [*PAGES, "/staff/login/"])
def test_pages_let_the_browser_send_its_origin_with_posts(coordinator, path):
    """Under "no-referrer" (the visitor's pages), browsers send `Origin: null` with
    POSTs, and the CSRF check refuses every form and API call: the staff pages use
    same-origin, the site-wide policy."""
    client = coordinator.client if path != "/staff/login/" else Client()
    response = client.get(path)
    assert response["Referrer-Policy"] == "same-origin"
    metas = [attrs for tag, attrs in tags_of(response) if tag == "meta"]
    assert {"name": "referrer", "content": "same-origin"} in metas


def test_a_post_whose_origin_is_null_is_refused(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)
    client.get("/staff/")
    token = client.cookies["csrftoken"].value
    response = client.post("/staff/logout/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
    assert response.status_code == 403


def test_the_app_loads_its_code_as_an_es_module(nurse):
    scripts = [attrs for tag, attrs in tags_of(nurse.client.get("/staff/")) if tag == "script"]
    modules = [attrs["src"] for attrs in scripts if attrs.get("type") == "module"]
    assert modules == ["/static/ops/topbar.js", "/static/ops/staff-app.js"]


def test_the_pages_send_the_csrf_token_for_the_api(nurse):
    response = nurse.client.get("/staff/")
    assert re.search(rb'<meta name="csrf-token" content="[A-Za-z0-9]{32,}">', response.content)
    assert "csrftoken" in response.cookies


def test_the_es_modules_import_only_from_this_origin():
    for name in ["staff-app.js", "setup.js", "device.js", "ceremonies.js", "admin-backup.js"]:
        source = Path(finders.find(f"ops/{name}")).read_text(encoding="utf-8")
        for target in re.findall(r'from "([^"]+)"', source):
            assert target.startswith("./") or target.startswith("../chat/"), (name, target)


# -- signing in and out ------------------------------------------------------------------------


def test_the_login_page_is_styled_and_keeps_the_reference_clients_form(db):
    response = Client().get("/staff/login/")
    assert response.status_code == 200
    assert b"/static/ops/staff.css" in response.content
    assert b'name="csrfmiddlewaretoken" value="' in response.content
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_signing_in_asks_for_the_second_factor_then_leads_to_the_staff_app(nurse):
    client = Client()
    response = client.post("/staff/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/staff/2fa/"
    code = totp_code(authenticator_for(nurse.user))
    response = client.post("/staff/2fa/", {"code": code})
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_wrong_password_says_so(nurse):
    response = Client().post("/staff/login/", {"username": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content


def test_signing_in_never_follows_a_next_to_another_site(nurse):
    client = Client()
    client.post(
        "/staff/login/?next=https://evil.example/",
        {"username": "bob", "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = client.post("/staff/2fa/", {"code": totp_code(authenticator_for(nurse.user))})
    assert response["Location"] == "/staff/"


def test_a_signed_in_member_skips_the_login_page(nurse):
    response = nurse.client.get("/staff/login/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_signing_out_takes_a_post_and_ends_the_session(nurse):
    assert nurse.client.get("/staff/logout/").status_code == 405
    response = nurse.client.post("/staff/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/"
    assert nurse.client.get("/staff/").status_code == 302


def test_signing_out_needs_the_csrf_token(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)
    assert client.post("/staff/logout/").status_code == 403
    assert client.get("/staff/").status_code == 200


# -- languages -----------------------------------------------------------------------------


def test_the_staff_pages_are_in_french_first(nurse):
    content = nurse.client.get("/staff/").content.decode()
    assert 'lang="fr"' in content
    assert "Cet appareil doit être certifié" in content
    assert "Se déconnecter" in content
    # The strings for the JS come translated too.
    assert strings_of(content)["list.waiting"] == "En attente de réponse"


def test_the_login_page_is_in_french(db):
    content = Client().get("/staff/login/").content.decode()
    assert "Connexion de l’équipe" in content
    assert "Mot de passe" in content


def test_english_can_be_chosen(nurse):
    response = nurse.client.post("/staff/language/", {"language": "en", "next": "/staff/"})
    assert response.status_code == 302
    content = nurse.client.get("/staff/").content.decode()
    assert 'lang="en"' in content
    assert "This device must be certified by your coordinator" in content
    assert strings_of(content)["list.waiting"] == "Waiting for an answer"


def test_the_setup_page_is_translated(coordinator):
    content = coordinator.client.get("/staff/setup/").content.decode()
    assert "Clé d’administration" in content or "Clé d'administration" in content
    assert "Certifier" in content
