"""Outside hours, end to end in real browsers (issue #4's acceptance test).

A live helpline (`manage.py serve --jobs` on the embedded default, the demo seeded) whose
rota the coordinator sets through the rota API to one shift, tomorrow 14:00–17:00 in
the helpline's time zone, with Samir on it. The test clock (HELPLINE_TEST_CLOCK_FILE,
ops/clock.py) puts the helpline twenty minutes before it.

A visitor whose phone speaks English opens the chat link: at once, in English, the page
says the helpline is closed, when it opens again (on the helpline's clock) and the
emergency numbers as links to call (or text, for 114); the visitor writes all the same.
Samir's certified browser shows the dashboard: closed, the next opening, the visitor's
conversation waiting, read-only (he is not on shift yet: a claim would be refused). The clock moves
to the shift's start; the periodic job opens it: Samir's dashboard says he is on shift,
the visitor's page says someone is here. A second visitor writes; the first
conversation is at the top of the queue. Samir claims it and answers; the visitor reads
the answer. Nothing either of them typed left a browser in clear.

Screenshot: tests/browser/screenshots/visitor-closed.png (360×740, the closed notice).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chat.client import VisitorClient
from tests.browser.conftest import helpline_env
from tests.browser.pages import Watched
from tests.browser.shift_setup import HelplineClock, StaffApi, browser_certify, passwords_set

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ZONE = ZoneInfo("Europe/Paris")
PHONE = {"width": 360, "height": 740}
JOB_WAIT_MS = 45_000  # the shift job runs every 30 s
SHIFT_LABEL = "Permanence de l'après-midi"
VISITOR_TEXT = "Hello, I need to talk to someone. Is anybody there?"
LATER_TEXT = "Bonjour, j'ai une question sur la PrEP."
ANSWER = "Hello, I am here now. You can tell me everything, it stays between us."
EMERGENCY = {
    "112": "tel:112",
    "15": "tel:15",
    "17": "tel:17",
    "115": "tel:115",
    "119": "tel:119",
    "3919": "tel:3919",
    "114": "sms:114",
}


class ShiftHelpline:
    def __init__(self, served: Any, env: dict[str, str], data_dir: Any) -> None:
        self.served = served
        self.env = env
        self.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
        self.clock = HelplineClock(data_dir / "clock")

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def fingerprint(self) -> bytes:
        return bytes.fromhex(self.demo["fingerprint"])


@pytest.fixture
def shift_helpline(serve, embedded_env, seeded_template, tmp_path) -> ShiftHelpline:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = {
        **helpline_env(embedded_env, data_dir),
        "HELPLINE_TEST_CLOCK_FILE": str(data_dir / "clock"),
    }
    (data_dir / "clock").write_text("0\n")
    passwords_set(env, ["samir"])
    return ShiftHelpline(serve(env, "--jobs"), env, data_dir)


def rota_set_to_one_shift(helpline: ShiftHelpline) -> datetime:
    """Through the coordinator's API: no weekly slot, one shift tomorrow 14:00–17:00 with
    Samir on it. Returns its start (aware)."""
    api = StaffApi(helpline.url, "demo", helpline.demo["password"], helpline.demo["totp_secret"])
    for kind in ("slots", "shifts"):
        for entry in api.ok("GET", f"/rota/{kind}")[kind]:
            api.ok("DELETE", f"/rota/{kind}/{entry['id']}")
    staff = {member["name"]: member["user_id"] for member in api.ok("GET", "/staff")["staff"]}
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).date()
    api.ok(
        "POST",
        "/rota/shifts",
        {
            "date": tomorrow.isoformat(),
            "start": "14:00",
            "end": "17:00",
            "label": SHIFT_LABEL,
            "staff": [staff["samir"]],
        },
    )
    return datetime.combine(tomorrow, time(14), tzinfo=ZONE)


@pytest.fixture
def browsers(browser) -> Iterator[dict[str, Watched]]:
    opened = {
        "visitor": Watched(browser, viewport=PHONE, locale="en-US", is_mobile=True),
        "samir": Watched(browser),
    }
    yield opened
    for watched in opened.values():
        watched.close()


def spaces(text: str) -> str:
    """ICU puts narrow and non-breaking spaces in dates ("2:00\u202fPM")."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def test_a_visitor_writes_outside_hours_and_is_answered_when_the_shift_opens(
    shift_helpline, browsers, background
):
    helpline = shift_helpline
    start = rota_set_to_one_shift(helpline)
    helpline.clock.move_to(start.timestamp() - 20 * 60)
    visitor, samir = browsers["visitor"], browsers["samir"]

    # The visitor opens the chat link outside hours: told at once, in English.
    visitor.page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}")
    notice = visitor.page.locator("#helpline[data-state='closed']")
    notice.wait_for()
    text = spaces(notice.inner_text())
    assert "We are closed right now." in text
    # When it opens again, on the helpline's clock, in the visitor's language.
    when = f"{start:%A}, {start:%B} {start.day} at 2:00 PM"
    assert f"We open again on {when}." in text
    assert "In an emergency, call (free, day and night):" in text
    for number, href in EMERGENCY.items():
        link = notice.locator(f".emergency-number[href='{href}']")
        assert link.inner_text() == number
    assert "deaf" in notice.locator("li[data-number='114']").inner_text()
    assert "A risk less than 48 hours ago? Go to a hospital emergency department now" in text
    assert "Nous sommes fermés" not in visitor.page.inner_text("body")
    # The emergency numbers are on the first screen, not below the fold.
    box = notice.locator("li[data-number='114']").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] - 150
    visitor.page.wait_for_selector("#status[data-state='open']")
    assert "You can still write" in visitor.page.inner_text("#status")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visitor.page.screenshot(path=str(SCREENSHOTS / "visitor-closed.png"))

    # The visitor writes all the same.
    composer = visitor.page.locator("#text:not([disabled])")
    composer.fill(VISITOR_TEXT)
    composer.press("Enter")
    visitor.page.locator('li.from-me .mark[data-state="sent"]').wait_for()

    # Samir's browser, certified: the dashboard says closed, and when it opens.
    samir.login(helpline.url, "samir")
    samir.page.wait_for_selector("#gate-pending", state="visible")
    browser_certify(helpline.env, "samir")
    samir.page.click("#check-again")
    page = samir.page
    page.wait_for_selector("#connection-status[data-status='open']")
    page.wait_for_selector("#shift-line[data-open='closed']")
    assert "Prochaine ouverture" in page.inner_text("#shift-remaining")
    waiting = page.locator("#queue-list .queue-entry")
    waiting.first.wait_for()
    assert waiting.count() == 1
    assert waiting.first.locator(".conversation-item").get_attribute("data-language") == "en"

    # Before the shift, Samir (not a coordinator) reads the queue but cannot take from
    # it: the page says why, and the helpline would refuse it too.
    assert waiting.first.locator(".claim").is_disabled()
    assert "pas de permanence" in page.inner_text("#queue-read-only")
    conversation_id = waiting.first.get_attribute("data-conversation-id")
    status, refused = StaffApi(helpline.url, "samir").call(
        "POST", f"/routes/{conversation_id}/claim"
    )
    assert (status, refused["error"]) == (403, "not_on_shift")

    # The shift opens (the clock moves; the periodic job notices within 30 s).
    helpline.clock.move_to(start.timestamp() + 2)
    page.wait_for_selector("#shift-line[data-open='mine']", timeout=JOB_WAIT_MS)
    page.wait_for_selector("#queue-read-only", state="hidden")
    assert SHIFT_LABEL in page.inner_text("#shift-line")
    assert "17:00" in page.inner_text("#shift-remaining")
    # The visitor is told someone is there now (never who).
    visitor.page.wait_for_selector("#helpline[data-state='here']", timeout=JOB_WAIT_MS)
    assert visitor.page.inner_text("#helpline") == "Someone is here to answer you."
    assert visitor.page.locator("#helpline[data-state='closed']").count() == 0

    # A second visitor writes after the opening: the first one stays at the top.
    later = VisitorClient([helpline.url], admin_fingerprint=helpline.fingerprint, language="fr")
    background.run(later.start())
    try:
        background.run(later.say(LATER_TEXT))
        page.wait_for_function(
            "() => document.querySelectorAll('#queue-list .queue-entry').length === 2"
        )
        languages = [
            item.get_attribute("data-language")
            for item in page.locator("#queue-list .conversation-item").all()
        ]
        assert languages == ["en", "fr"]

        # Samir claims the first one and answers.
        page.locator("#queue-list .queue-entry").first.locator(".claim").click()
        page.wait_for_selector("#conversation-list .conversation-item[data-language='en']")
        assert page.locator("#queue-list .queue-entry").count() == 1
        page.locator(".message-visitor .bubble", has_text=VISITOR_TEXT).wait_for()
        page.wait_for_selector("#conversation-route[data-state='assigned']")
        page.fill("#composer-text", ANSWER)
        page.press("#composer-text", "Enter")

        # The visitor reads the answer.
        visitor.page.locator("li.from-staff", has_text=ANSWER).wait_for()
    finally:
        background.run(later.stop())

    # Nothing either of them typed left a browser in clear.
    for watched in browsers.values():
        for line in (VISITOR_TEXT, ANSWER):
            assert not watched.sent_contains(line)
    assert visitor.errors == []
    assert samir.errors == []
