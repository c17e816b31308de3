"""The topics-and-outcome form of the staff conversation view (issues 7 and 8): the
person who has the conversation ticks topics and picks an outcome from the fixed lists,
in French; it is saved through the outcome API and read back when the conversation is
opened again."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.shift_setup import StaffApi
from tests.browser.test_dashboard import (  # noqa: F401 — fixtures, used by name
    browsers,
    dashboard_open,
    entry,
    mine,
    shift_helpline,
    visitors,
)

pytestmark = pytest.mark.browser


def test_the_person_who_has_the_conversation_notes_topics_and_outcome(
    shift_helpline,  # noqa: F811
    browsers,  # noqa: F811
    visitors,  # noqa: F811
):
    helpline = shift_helpline
    conversation_id = visitors.write("fr", "Bonjour, où faire un test du VIH ?")
    demo = helpline.demo
    page = dashboard_open(
        browsers["nurse"], helpline, "demo", demo["password"], demo["totp_secret"]
    )
    entry(page, conversation_id).locator(".claim").click()
    mine(page, conversation_id).wait_for()

    page.click("#tab-outcome")
    assert page.locator("#outcome-readonly").is_hidden()
    page.get_by_label("dépistage").check()
    page.get_by_label("PrEP", exact=True).check()
    page.get_by_label("orientation faite").check()
    page.get_by_role("button", name="Enregistrer thèmes et suite").click()
    page.locator("#outcome-status", has_text="Thèmes et suite enregistrés.").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "outcome-form.png"))

    api = StaffApi(helpline.url, "demo", demo["password"], demo["totp_secret"])
    assert api.ok("GET", f"/routes/{conversation_id}/outcome") == {
        "topics": ["prep", "testing"],
        "outcome": "referred",
    }

    # Opened again after a reload: the form shows what was saved.
    page.reload()
    page.wait_for_selector("#connection-status[data-status='open']")
    mine(page, conversation_id).click()
    page.click("#tab-outcome")
    page.wait_for_function("() => document.getElementById('outcome-referred').checked")
    assert page.get_by_label("dépistage").is_checked()
    assert not page.get_by_label("violences").is_checked()
