"""The interpreter's page (issue 6), from both sides: interpreters get their page and
never the dashboard; staff never get the interpreter's page."""

from __future__ import annotations

import json


def strings_of(response) -> dict:
    content = response.content.decode()
    start = content.index('<script id="ops-strings" type="application/json">')
    block = content[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(block)


def test_an_interpreter_gets_their_page(interpreter):
    response = interpreter.client.get("/staff/interpreter/")
    assert response.status_code == 200
    assert b'data-role="interpreter"' in response.content
    assert b'id="on-call-form"' in response.content
    assert b'id="queue-list"' not in response.content


def test_an_interpreter_is_sent_from_the_dashboard_page_to_theirs(interpreter):
    response = interpreter.client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/interpreter/"


def test_an_interpreter_cannot_read_the_dashboard_or_the_queue(interpreter):
    assert interpreter.client.get("/staff/api/dashboard").status_code == 403


def test_staff_who_are_not_interpreters_get_no_interpreter_page(nurse, coordinator, client):
    assert nurse.client.get("/staff/interpreter/").status_code == 403
    assert coordinator.client.get("/staff/interpreter/").status_code == 403
    assert client.get("/staff/interpreter/").status_code == 302  # to the sign-in


def test_the_interpreter_page_speaks_french(interpreter):
    response = interpreter.client.get("/staff/interpreter/", HTTP_ACCEPT_LANGUAGE="fr")
    strings = strings_of(response)
    assert strings["room.accept"] == "Accepter"
    assert (
        strings["interpreter.joined"] == "Un·e interprète ({language}) a rejoint la conversation."
    )
    assert "Prendre l’astreinte" in response.content.decode()


def test_the_dashboard_page_carries_the_interpreter_panel_strings(nurse):
    response = nurse.client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b'id="interpreter-panel"' in response.content
    assert strings_of(response)["interpreter.ask"] == "Ask for an interpreter"
