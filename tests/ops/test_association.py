"""The association's name and one line on the visitor's page (ops/association.py): a
coordinator sets them on the campaigns page; nobody else can; the chat link shows them,
discreetly, and nothing when none is set. And the role a staff label names
(ops/public_roles.py), sent so visitors read it in their language."""

from __future__ import annotations

import pytest

from ops.association import association_set, association_shown
from ops.public_roles import public_role

pytestmark = pytest.mark.django_db

PATH = "/staff/campaigns/association"
AUX_CAPTIFS = {"name": "Aux captifs, la libération", "line": "Paris · captifs.fr"}


def test_a_coordinator_names_the_association_for_visitors(coordinator):
    response = coordinator.client.post(PATH, AUX_CAPTIFS)
    assert response.status_code == 302
    assert association_shown() == AUX_CAPTIFS
    page = coordinator.client.get("/staff/campaigns/").content.decode()
    assert 'value="Aux captifs, la libération"' in page


def test_an_empty_name_shows_nothing(coordinator):
    association_set(**AUX_CAPTIFS)
    coordinator.client.post(PATH, {"name": " ", "line": "ignored"})
    assert association_shown() is None


def test_a_line_too_long_changes_nothing(coordinator):
    association_set(**AUX_CAPTIFS)
    response = coordinator.client.post(PATH, {"name": "X", "line": "x" * 141})
    assert response.status_code == 400
    assert association_shown() == AUX_CAPTIFS


@pytest.mark.parametrize("who", ["nurse", "interpreter"])
def test_only_coordinators_name_the_association(request, who):
    client = request.getfixturevalue(who).client
    assert client.post(PATH, AUX_CAPTIFS).status_code == 403
    assert association_shown() is None


def test_the_form_is_the_coordinators_only(nurse):
    assert 'id="association"' not in nurse.client.get("/staff/campaigns/").content.decode()


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Infirmière", "nurse"),
        ("infirmier", "nurse"),
        ("  Travailleuse   sociale ", "social_worker"),
        ("Médiateur pair", "peer_mediator"),
        ("Mediatrice", "peer_mediator"),
        ("L’équipe", "team"),
        ("Claire", None),
        ("Infirmière Claire", None),
    ],
)
def test_a_label_that_names_a_role_is_sent_with_it(label, role):
    assert public_role(label) == role
