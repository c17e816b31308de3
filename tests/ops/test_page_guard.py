"""Who may open which staff page (ops/pages.py's ``staff_page``), every page with every
persona. ``RULES`` is the documentation of the rules: a page not in it, or a staff page
without the guard, fails here.

``IN``: the page answers (``ANSWERS``: how, when it is not a 200); ``LOGIN``: the sign-in
page, back to this one after it; ``NO``: the "not allowed" page (403); ``AWAY``: an
interpreter sent to their own page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ops.campaigns.services import campaign_create
from ops.devices import services
from ops.pages import staff_page
from tests.ops.conftest import AT, PASSWORD, Member, member_make

pytestmark = pytest.mark.django_db

IN, LOGIN, NO, AWAY = "in", "sign-in page", "not allowed", "interpreter's page"

PERSONAS = (
    "anonymous",
    "password_only",  # the password, not the second factor
    "outsider",  # signed in, no staff profile
    "nurse",
    "interpreter",
    "interpreter_coordinator",
    "coordinator",
)

# fmt: off
RULES: dict[tuple[str, str], tuple[str, ...]] = {
    #                                          anon   pw-only outsider nurse interp i-coord coord
    ("ops:app", "GET"):                        (LOGIN, LOGIN, NO,      IN,   AWAY,  AWAY,   IN),
    ("ops:interpreter", "GET"):                (LOGIN, LOGIN, NO,      NO,   IN,    IN,     NO),
    ("ops:setup", "GET"):                      (LOGIN, LOGIN, NO,      NO,   NO,    IN,     IN),
    ("ops:audit", "GET"):                      (LOGIN, LOGIN, NO,      NO,   NO,    IN,     IN),
    ("ops:rota", "GET"):                       (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:canned", "GET"):                     (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:selfhelp", "GET"):                   (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:selfhelp-export", "GET"):            (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:selfhelp-edit", "GET"):              (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:selfhelp-edit", "POST"):             (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:selfhelp-import", "POST"):           (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:campaigns", "GET"):                  (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:campaign-sent", "POST"):             (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:campaign-qr", "GET"):                (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:campaign-sticker", "GET"):           (LOGIN, LOGIN, NO,      IN,   NO,    NO,     IN),
    ("ops:campaign-new", "GET"):               (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:campaign", "GET"):                   (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:campaigns-association", "POST"):     (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:report", "GET"):                     (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:report-print", "GET"):               (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("ops:report-csv", "GET"):                 (LOGIN, LOGIN, NO,      NO,   NO,    NO,     IN),
    ("staff_auth:security", "GET"):            (LOGIN, LOGIN, IN,      IN,   IN,    IN,     IN),
    ("staff_auth:sign-out-everywhere", "POST"): (LOGIN, LOGIN, IN,     IN,   IN,    IN,     IN),
}
# fmt: on

# How a page answers those it lets in, when not with a 200: (status, Location).
ANSWERS = {
    ("ops:selfhelp-edit", "POST"): (400, None),  # an empty form: the title is missing
    ("ops:selfhelp-import", "POST"): (302, "/staff/pages/"),  # no file: said there
    ("ops:campaign-sent", "POST"): (400, None),  # an empty form
    ("ops:campaigns-association", "POST"): (302, "/staff/campaigns/#association"),
    ("staff_auth:sign-out-everywhere", "POST"): (302, "/staff/login/"),
}

# The staff routes that are not pages behind the guard: the sign-in itself, the language
# switch, and the service worker (no secret; browsers fetch it without the session).
NOT_GUARDED = {
    "ops:login",
    "ops:logout",
    "ops:language",
    "staff_auth:second-factor",
    "staff_auth:enrol",
    "ops:staff-service-worker",
}


def staff_page_routes() -> dict[str, object]:
    """Every route under /staff/ but the JSON API's, by name, with its view."""
    found: dict[str, object] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                assert isinstance(pattern, URLPattern)
                route = prefix + str(pattern.pattern)
                if route.startswith("staff/") and not route.startswith("staff/api/"):
                    found[namespace + str(pattern.name)] = pattern.callback

    walk(get_resolver().url_patterns, "", "")
    return found


# -- the personas -------------------------------------------------------------------------


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def password_only(db) -> Client:
    """A coordinator who typed the right password, as if a session had been made without
    the second factor: Django's own login, not the staff sign-in."""
    user = services.staff_member_create(username="mallory", password=PASSWORD, is_coordinator=True)
    client = Client()
    client._login(user, "django.contrib.auth.backends.ModelBackend")  # noqa: SLF001
    return client


@pytest.fixture
def interpreter_coordinator(db) -> Member:
    return member_make("ivan", public_label="Interprète", is_interpreter=True, is_coordinator=True)


def client_of(persona: Client | Member) -> Client:
    return persona if isinstance(persona, Client) else persona.client


def url_of(name: str, *, campaign_id: int) -> str:
    kwargs = {
        "ops:campaign": {"campaign_id": campaign_id},
        "ops:campaign-sent": {"campaign_id": campaign_id},
        "ops:campaign-qr": {"campaign_id": campaign_id, "kind": "svg"},
        "ops:campaign-sticker": {"campaign_id": campaign_id},
        "ops:selfhelp-edit": {"section": "about", "language": "fr"},
    }
    return reverse(name, kwargs=kwargs.get(name, {}))


# -- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method", "persona"),
    [
        pytest.param(name, method, persona, id=f"{name} {method} {persona}")
        for (name, method), outcomes in RULES.items()
        for persona, outcome in zip(PERSONAS, outcomes, strict=True)
    ],
)
def test_each_staff_page_answers_each_persona_as_the_table_says(request, name, method, persona):
    client = client_of(request.getfixturevalue(persona))
    campaign = campaign_create(name="Grindr, juin", now=AT, channel="app", place="Grindr")
    path = url_of(name, campaign_id=campaign.pk)
    response = getattr(client, method.lower())(path)
    outcome = RULES[name, method][PERSONAS.index(persona)]
    templates = [template.name for template in response.templates]
    if outcome == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"/staff/login/?next={quote(path)}"
    elif outcome == NO:
        assert response.status_code == 403
        assert "ops/forbidden.html" in templates
    elif outcome == AWAY:
        assert response.status_code == 302
        assert response["Location"] == reverse("ops:interpreter")
    else:
        status, location = ANSWERS.get((name, method), (200, None))
        assert response.status_code == status
        assert "ops/forbidden.html" not in templates
        if location is not None:
            assert response["Location"] == location
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response.get("Cache-Control", "")


def test_every_staff_page_is_guarded_and_in_the_table():
    routes = staff_page_routes()
    guarded = {name for name, view in routes.items() if hasattr(view, "staff_page_rule")}
    assert set(routes) - guarded == NOT_GUARDED
    assert {name for name, _method in RULES} == guarded


def test_the_json_api_is_not_behind_the_page_guard():
    """The API answers JSON, never the sign-in page: its guard is ``api_view``."""
    view = get_resolver().resolve("/staff/api/dashboard").func
    assert not hasattr(view, "staff_page_rule")


@pytest.mark.parametrize(
    "rule",
    [
        {"coordinator": False, "interpreters": "welcome"},
        {"coordinator": True, "interpreters": "admitted", "accounts_without_profile": True},
    ],
)
def test_a_rule_that_means_nothing_fails_where_the_page_is_defined(rule):
    with pytest.raises(ValueError):
        staff_page(**rule)
