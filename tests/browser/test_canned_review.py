"""The review of the canned replies on their page, in Chromium: the coordinator (the
demo account) marks the starter /prep reviewed — the page says which version, by whom
and when; a colleague sees the review but no button to mark; a change of the Bulgarian
text makes version 2, not reviewed, and the page says version 1 was; the audit log names
both.

Screenshots: tests/browser/screenshots/canned-review.png (marked) and
canned-review-changed.png (after the change).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import helpline_env
from tests.browser.pages import Watched
from tests.browser.shift_setup import PASSWORD, passwords_set
from tests.staff_sign_in import browser_sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
NEW_BG = "PrEP е лекарство срещу ХИВ. Жените я вземат всеки ден."


@pytest.fixture
def review_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = helpline_env(embedded_env, data_dir)
    passwords_set(env, ["camille"])
    served = serve(env)
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return served


def signed_in(browser: Any, url: str, username: str, password: str, totp: str | None) -> Watched:
    watched = Watched(browser, viewport=DESKTOP)
    watched.page.goto(url + "/staff/login/")
    browser_sign_in(watched.page, username, password, totp)
    watched.page.wait_for_url(f"{url}/staff/**")
    watched.page.goto(url + "/staff/canned/")
    watched.page.wait_for_selector("#canned[aria-busy='false']")
    return watched


def test_a_coordinator_marks_a_version_reviewed_and_a_change_makes_it_unreviewed(
    review_helpline, browser
):
    url = review_helpline.url
    demo = review_helpline.demo
    coordinator = signed_in(browser, url, "demo", demo["password"], demo["totp_secret"])
    page = coordinator.page
    prep = page.locator("#canned-body tr[data-shortcut='prep']")
    assert "non relue" in prep.inner_text() and "version 1" in prep.inner_text()
    # The sources are links to their pages, the day each was checked beside it.
    source = prep.locator(".canned-sources a[href^='https://vih.org/']").first
    assert source.get_attribute("rel") == "noopener noreferrer"
    assert "(vérifiée le 2026-12-07)" in prep.locator(".canned-sources li").first.inner_text()
    # …so that their addresses do not push the table out of its card at 1280 px.
    table, card = page.evaluate(
        "() => { const t = document.getElementById('canned-table');"
        " return [t.scrollWidth, t.closest('.card').clientWidth]; }"
    )
    assert table <= card

    page.once("dialog", lambda dialog: dialog.accept())
    prep.get_by_role("button", name="Marquer la version 1 comme relue").click()
    prep.locator(".canned-reviewed").wait_for()
    assert "Version 1 relue, marquée par demo le" in prep.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prep.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "canned-review.png"))

    # A colleague reads the review, and has nothing to mark it with.
    camille = signed_in(browser, url, "camille", PASSWORD, None)
    seen = camille.page.locator("#canned-body tr[data-shortcut='prep']")
    assert "Version 1 relue, marquée par demo le" in seen.inner_text()
    assert seen.locator("button").count() == 0

    # The Bulgarian text changes: version 2, not reviewed; version 1's review is said.
    prep.get_by_role("button", name="Modifier /prep").click()
    page.fill("#text-bg-body", NEW_BG)
    page.click("#canned-save")
    page.locator("#canned-status", has_text="/prep").wait_for()
    prep = page.locator("#canned-body tr[data-shortcut='prep']")
    prep.locator(".badge-warn").wait_for()
    shown = prep.inner_text()
    assert "non relue" in shown and "version 2" in shown
    assert "Modifiée depuis que la version 1 a été relue (demo, le" in shown
    assert prep.get_by_role("button", name="Marquer la version 2 comme relue").is_visible()
    prep.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "canned-review-changed.png"))

    page.goto(url + "/staff/audit/")
    log = page.inner_text("main")
    assert "réponse type marquée comme relue" in log
    assert "réponse type écrite, modifiée ou supprimée" in log
    assert coordinator.errors == [] and camille.errors == []
    coordinator.close()
    camille.close()
