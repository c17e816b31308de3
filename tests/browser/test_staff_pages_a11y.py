"""Every staff page through axe-core (tests/browser/axe.py): no serious or critical
accessibility violation, in French, as staff meet them.

The demo helpline: the sign-in and its second step; the demo account (a nurse who
coordinates) on every page of the top bar and the campaign pages (new, edit, stickers,
the funders' print); the workspace with an English visitor's conversation open, then
each of its side panels, the canned picker, the transfer and shortcuts dialogs; Camille
(not a coordinator) on a coordinator's page (the "not allowed" page); Iris, an
interpreter, at her first visit (her page's gate). The pages of the top bar are also
measured at 1280, 768 and 360 px: nothing overflows its container sideways (layout.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from chat.client import VisitorClient
from chat.client.totp import totp_fresh
from tests.browser.axe import axe_violations
from tests.browser.conftest import helpline_env
from tests.browser.layout import overflows
from tests.browser.pages import PASSWORD, Watched, manage
from tests.browser.shift_setup import conversation_show, demo_workspace_open, passwords_set
from tests.staff_sign_in import authenticators_set, browser_sign_in, totp_secret_for

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VISITOR_TEXT = "hello, i need a test, where can i go?"
# The pages of the top bar and the coordinator's other pages (a campaign's id added).
PAGES = [
    "/staff/canned/",
    "/staff/campaigns/",
    "/staff/campaigns/?channel=app&page=2",
    "/staff/campaigns/new",
    "/staff/report/",
    "/staff/rota/",
    "/staff/setup/",
    "/staff/audit/",
    "/staff/security/",
]
CAMPAIGN_PAGES = ["/staff/campaigns/{id}/", "/staff/campaigns/{id}/sticker", "/staff/report/print"]
OVERNIGHT_SHIFT = """
from datetime import time, timedelta
from ops import clock
from ops.models import Shift
Shift.objects.create(
    date=clock.today() + timedelta(days=1), start=time(21), end=time(1), label="Nuit"
)
"""


@pytest.fixture
def a11y_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = helpline_env(embedded_env, data_dir)
    passwords_set(env, ["camille"])
    manage(
        env,
        *("staff_add", "iris", "--label", "Iris", "--interpreter", "--languages", "bg"),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    authenticators_set(env, ["iris"])
    # An overnight one-off shift, whatever the hour the test runs at (the demo's "open
    # now" shift is overnight only in the evening): its hours are the rota table's
    # widest cell.
    manage(env, "shell", "-c", OVERNIGHT_SHIFT)
    served = serve(env)
    served.env = env
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return served


def checked(page: Any, where: str) -> list[str]:
    return [f"{where}: {violation}" for violation in axe_violations(page)]


def test_no_staff_page_has_a_serious_accessibility_violation(a11y_helpline, browser, background):
    helpline = a11y_helpline
    problems: list[str] = []

    # Signing in: both steps.
    anonymous = Watched(browser)
    try:
        page = anonymous.page
        page.goto(helpline.url + "/staff/login/")
        problems += checked(page, "sign-in")
        page.fill("#id_username", "demo")
        page.fill("#id_password", helpline.demo["password"])
        page.press("#id_password", "Enter")
        page.wait_for_url(re.compile(r"/staff/2fa/"))
        problems += checked(page, "sign-in, second step")
        page.fill("#id_code", totp_fresh(helpline.demo["totp_secret"]))
        page.press("#id_code", "Enter")
        page.wait_for_url(re.compile(r"/staff/"))
    finally:
        anonymous.close()

    visitor = VisitorClient(
        [helpline.url],
        admin_fingerprint=bytes.fromhex(helpline.demo["fingerprint"]),
        language="en",
        campaign=helpline.demo["campaign"],
    )
    background.run(visitor.start())
    background.run(visitor.say(VISITOR_TEXT))
    demo = Watched(browser)
    try:
        page = demo_workspace_open(demo, helpline)
        problems += checked(page, "workspace, nothing open")
        conversation_show(page, visitor.conversation_id, VISITOR_TEXT)
        problems += checked(page, "workspace, a conversation")
        for panel in ("interpreter", "notes", "outcome"):
            page.click(f"#tab-{panel}")
            problems += checked(page, f"workspace, panel {panel}")
        field = page.locator("#composer-text")
        field.press_sequentially("/prep")
        page.locator("#canned-results [data-shortcut='prep']").wait_for()
        problems += checked(page, "workspace, the canned picker")
        field.press("Enter")
        page.locator("#tab-beside[aria-expanded='true']").wait_for()
        problems += checked(page, "workspace, in French")
        page.click("#conversation-transfer")
        page.locator("#transfer-dialog[open]").wait_for()
        problems += checked(page, "workspace, transfer dialog")
        page.click("#transfer-cancel")
        page.locator("#composer-text").blur()
        page.keyboard.press("?")
        page.locator("#shortcuts-dialog[open]").wait_for()
        problems += checked(page, "workspace, shortcuts dialog")
        page.keyboard.press("Escape")

        campaign_id = page.evaluate(
            "() => fetch('/staff/campaigns/').then((r) => r.text())"
            '.then((t) => t.match(/id="campaign-(\\d+)"/)[1])'
        )
        pages = PAGES + [path.format(id=campaign_id) for path in CAMPAIGN_PAGES]
        for path in pages:
            page.goto(helpline.url + path)
            page.wait_for_load_state("networkidle")
            problems += checked(page, path)
        for width, height in ((1280, 800), (768, 1024), (360, 740)):
            page.set_viewport_size({"width": width, "height": height})
            for path in PAGES:
                page.goto(helpline.url + path)
                page.wait_for_load_state("networkidle")
                problems += [f"{path} at {width} px: {o}" for o in overflows(page)]
        assert demo.errors == []
    finally:
        demo.close()
        background.run(visitor.stop())

    # Someone who is not a coordinator, on a coordinator's page; an interpreter's gate.
    for username, path in (("camille", "/staff/setup/"), ("iris", "/staff/")):
        someone = Watched(browser)
        try:
            page = someone.page
            page.goto(helpline.url + "/staff/login/")
            browser_sign_in(page, username, PASSWORD, totp_secret_for(username))
            page.wait_for_url(re.compile(r"/staff/"))
            page.goto(helpline.url + path)
            page.wait_for_load_state("networkidle")
            problems += checked(page, f"{username} on {page.url}")
        finally:
            someone.close()

    assert problems == [], "\n".join(problems)
