"""What the visitor sees at each step, in French, English, Bulgarian, Brazilian
Portuguese and Chinese, on a 360 px phone: screenshots to look at
(tests/browser/screenshots/visitor-<language>-<step>.png) and the status line checked at
each step.

Steps: the first visit; after the first send (first in line); the queue ("2 people are
waiting before you", for a second visitor); a reply arriving with the keyboard open
(360×640, 300 px keyboard: the reply entirely on screen, the nurse named in the
visitor's language); closed by the team; out of hours (another helpline, closed until
tomorrow 14:00, with the emergency numbers and the 48-hour line).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chat.client import VisitorClient
from tests.browser.axe import axe_violations
from tests.browser.conftest import helpline_env
from tests.browser.phone import inside_viewport, keyboard_open
from tests.browser.shift_setup import HelplineClock, StaffApi
from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures, used by name
    TIMEOUT_MS,
    own_mark,
    staff_connect,
    type_and_send,
    widget_helpline,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 360, "height": 740}
SMALL = {"width": 360, "height": 640}
KEYBOARD = 300
ZONE = ZoneInfo("Europe/Paris")
LOCALES = {"fr": "fr-FR", "en": "en-GB", "bg": "bg-BG", "pt-BR": "pt-BR", "zh": "zh-CN"}
QUESTION = {
    "fr": "Bonjour, est-ce que je peux faire un dépistage sans donner mon nom ?",
    "en": "Hello, can I get tested without giving my name?",
    "bg": "Здравейте, мога ли да си направя изследване, без да казвам името си?",
    "pt-BR": "Oi, posso fazer um teste sem dar meu nome?",
    "zh": "你好，我可以不留名字做检测吗？",
}
ANSWER = {
    "fr": "Bonjour, oui, c’est gratuit et anonyme. On peut vous recevoir mardi ou jeudi.",
    "en": "Hello, yes: it is free and anonymous. We can see you on Tuesday or Thursday.",
    "bg": "Здравейте, да, безплатно и анонимно е. Можем да ви приемем във вторник или четвъртък.",
    "pt-BR": "Oi, sim, é gratuito e anônimo. Podemos te receber na terça ou na quinta.",
    "zh": "你好，可以，免费而且匿名。我们周二或周四可以接待您。",
}
NURSE = {
    "fr": "Infirmière",
    "en": "Nurse",
    "bg": "Медицинска сестра",
    "pt-BR": "Enfermeiro/a",
    "zh": "护士",
}
# Uncaught errors of every page opened here; each test checks it stayed empty.
ERRORS: list[str] = []
PROFILE = json.dumps({"kind": "profile", "label": "Infirmière", "role": "nurse"}).encode()


def shot(page: Any, language: str, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"visitor-{language}-{step}.png"))


def line_is(page: Any, key: str) -> None:
    page.locator(f'#status[data-line="{key}"]').wait_for(timeout=TIMEOUT_MS)


def visitor(browser: Any, url: str, language: str, viewport: dict) -> Any:
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=LOCALES[language],
    )
    page = context.new_page()
    page.on("pageerror", lambda error: ERRORS.append(f"{language}: {error}"))
    page.goto(f"{url}?lang={language}")
    page.wait_for_function("!document.getElementById('send').disabled", timeout=TIMEOUT_MS)
    return page


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_visitor_s_screens_while_the_helpline_is_open(
    widget_helpline,  # noqa: F811
    browser,
    background,
    language,
):
    helpline = widget_helpline
    url = helpline.chat_url
    first = visitor(browser, url, language, PHONE)
    line_is(first, "status_open")
    assert first.evaluate("document.documentElement.lang") == language
    assert first.locator("#association").is_visible()  # the demo association, discreetly
    assert axe_violations(first) == []
    shot(first, language, "1-first-visit")

    ERRORS.clear()
    type_and_send(first, QUESTION[language])
    own_mark(first, QUESTION[language], "sent")
    line_is(first, "status.next")  # first in line: nobody waits before
    assert first.locator("#more").is_visible()  # the secondary actions, in one button
    shot(first, language, "2-after-first-send")
    first.locator("#more").click()
    first.locator("#more-panel #delete-now").wait_for(timeout=TIMEOUT_MS)
    assert axe_violations(first) == []  # the Options panel open
    first.locator("#more").click()

    # Someone else writes, then a second visitor: two people wait before them.
    staff = staff_connect(helpline, background)
    mine = background.run(staff.list_conversations())[0]  # the newest: the first visitor's
    assert mine.language == language.lower()  # stored in lower case
    other = VisitorClient(
        [helpline.url],
        admin_fingerprint=bytes.fromhex(helpline.demo["fingerprint"]),
        language="ro",
    )
    second = None
    try:
        background.run(other.start())
        background.run(other.say("Bună ziua, am o întrebare."))
        second = visitor(browser, url, language, PHONE)
        type_and_send(second, QUESTION[language])
        line_is(second, "status.ahead")
        assert "2" in second.inner_text("#status")
        shot(second, language, "3-queue-position")

        # The nurse answers the first visitor, whose keyboard is open on a small phone.
        background.run(staff.subscribe(mine.conversation_id))
        background.run(staff.wait_for_epoch(mine.conversation_id))
        first.set_viewport_size(SMALL)
        first.locator("#text").focus()
        keyboard_open(first, KEYBOARD)
        background.run(staff.send_content(mine.conversation_id, PROFILE, "event"))
        background.run(staff.send_typing(mine.conversation_id))
        line_is(first, "status.typing")
        assert NURSE[language] in first.inner_text("#status")
        background.run(staff.send_text(mine.conversation_id, ANSWER[language]))
        reply = first.locator("li.from-staff", has_text=ANSWER[language])
        reply.wait_for(timeout=TIMEOUT_MS)
        line_is(first, "status.answered")
        assert reply.locator(".who").inner_text() == NURSE[language]
        assert inside_viewport(first, reply)
        shot(first, language, "4-reply-keyboard-open")

        # The team closes the conversation: the visitor is told, and that writing reopens it.
        first.set_viewport_size(PHONE)
        api = StaffApi(
            helpline.url, "demo", helpline.demo["password"], helpline.demo["totp_secret"]
        )
        api.ok("POST", f"/routes/{mine.conversation_id}/close")
        line_is(first, "status.team_closed")
        shot(first, language, "5-closed-by-the-team")
    finally:
        background.run(staff.stop())
        background.run(other.stop())
    for page in (first, second):
        if page is not None:
            page.context.close()
    assert ERRORS == []


# -- out of hours --------------------------------------------------------------------------


@pytest.fixture
def closed_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    """The demo helpline whose only shift is tomorrow 14:00–17:00 (its clock says so)."""
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = {
        **helpline_env(embedded_env, data_dir),
        "HELPLINE_TEST_CLOCK_FILE": str(data_dir / "clock"),
    }
    (data_dir / "clock").write_text("0\n")
    served = serve(env, "--jobs")
    demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    api = StaffApi(served.url, "demo", demo["password"], demo["totp_secret"])
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
            "label": "Permanence",
            "staff": [next(iter(staff.values()))],
        },
    )
    start = datetime.combine(tomorrow, time(14), tzinfo=ZONE)
    HelplineClock(data_dir / "clock").move_to(start.timestamp() - 3 * 3600)
    return served.url + f"/c/{demo['campaign']}"


def test_the_visitor_s_screen_out_of_hours(closed_helpline, browser):
    ERRORS.clear()
    for language in LOCALES:
        page = visitor(browser, closed_helpline, language, PHONE)
        try:
            notice = page.locator("#helpline[data-state='closed']")
            notice.wait_for(timeout=TIMEOUT_MS)
            line_is(page, "status.out_of_hours")
            for number in ("112", "15", "17", "115", "119", "3919", "114"):
                assert notice.locator(f"li[data-number='{number}'] a").inner_text() == number
            risk = notice.locator(".emergency-risk")
            assert "48" in risk.inner_text() and "5" in risk.inner_text()
            assert inside_viewport(page, risk)  # the newest thing: on the first screen
            shot(page, language, "6-out-of-hours")
        finally:
            page.context.close()
    assert ERRORS == []
