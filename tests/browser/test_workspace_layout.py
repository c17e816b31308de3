"""The staff workspace at the screen sizes staff answer from: an office PC (1280×800,
1366×768) and a tablet on the outreach van (1024×768 and 768×1024, touch).

The demo helpline; a visitor writes in English (so a canned reply goes in in English and
its French shows beside it); the demo account — a nurse who coordinates — claims the
conversation. At every size, with nothing open and then with each side panel open in
turn ("in French" after `/prep`, the interpreter, the notes, topics and outcome):
the message list is at least 240 px tall, nothing overflows its container sideways, and
every control of the top bar is on screen and is what a click at its centre reaches
(the sections' menu opened too, when the bar folds them).

Screenshots: tests/browser/screenshots/workspace-<width>x<height>-<panel>.png.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chat.client import VisitorClient
from tests.browser.conftest import helpline_env
from tests.browser.layout import overflows, top_bar_blocked
from tests.browser.pages import Watched
from tests.browser.shift_setup import conversation_show, demo_workspace_open

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
MESSAGES_LEAST_PX = 240
# (width, height), touch
SIZES = [((1280, 800), False), ((1366, 768), False), ((1024, 768), True), ((768, 1024), True)]
PANELS = ["beside", "interpreter", "notes", "outcome"]
VISITOR_TEXT = "hi, is it true there is a pill so i dont get hiv?"


@pytest.fixture
def demo_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = helpline_env(embedded_env, data_dir)
    served = serve(env)
    served.env = env
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return served


@pytest.fixture
def english_visitor(demo_helpline, background) -> Any:
    helpline = demo_helpline
    visitor = VisitorClient(
        [helpline.url],
        admin_fingerprint=bytes.fromhex(helpline.demo["fingerprint"]),
        language="en",
        campaign=helpline.demo["campaign"],
    )
    background.run(visitor.start())
    background.run(visitor.say(VISITOR_TEXT))
    yield visitor
    background.run(visitor.stop())


def panel_open(page: Any, panel: str) -> None:
    if panel == "beside":
        field = page.locator("#composer-text")
        field.fill("")
        field.press_sequentially("/prep")
        page.locator("#canned-results [data-shortcut='prep']").wait_for()
        field.press("Enter")
        page.locator("#canned-beside-list li[data-shortcut='prep']").wait_for()
    else:
        page.click(f"#tab-{panel}")
        page.locator(f"#tab-{panel}[aria-expanded='true']").wait_for()


def panel_close(page: Any, panel: str) -> None:
    if panel == "beside":
        field = page.locator("#composer-text")
        field.fill("")
        field.press("Space")
        field.press("Backspace")
        page.locator("#canned-beside").wait_for(state="hidden")
    else:
        page.click(f"#tab-{panel}")
        page.locator(f"#tab-{panel}[aria-expanded='true']").wait_for(state="detached")


def layout_problems(page: Any, where: str) -> list[str]:
    problems = []
    height = page.evaluate("document.getElementById('messages').getBoundingClientRect().height")
    if height < MESSAGES_LEAST_PX:
        problems.append(f"{where}: the message list is {height:.0f} px tall")
    problems += [f"{where}: {problem}" for problem in overflows(page)]
    listed, blocked = top_bar_blocked(page)
    problems += [f"{where}: top bar: {problem}" for problem in blocked]
    toggle = page.locator("#topnav-toggle")
    if toggle.is_visible():
        toggle.click()
        listed_open, blocked = top_bar_blocked(page)
        problems += [f"{where}: sections' menu: {problem}" for problem in blocked]
        assert set(listed_open) > set(listed), (where, listed, listed_open)
        page.keyboard.press("Escape")
        page.locator("#topnav.topnav-open").wait_for(state="detached")
    assert "Se déconnecter" in listed, (where, listed)
    return problems


def test_the_messages_keep_their_height_and_the_bar_its_controls_at_every_size(
    demo_helpline, english_visitor, browser
):
    helpline = demo_helpline
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for touch in (False, True):
        sizes = [size for size, is_touch in SIZES if is_touch == touch]
        width, height = sizes[0]
        watched = Watched(browser, viewport={"width": width, "height": height}, has_touch=touch)
        try:
            page = demo_workspace_open(watched, helpline)
            conversation_show(page, english_visitor.conversation_id, VISITOR_TEXT)
            for width, height in sizes:
                page.set_viewport_size({"width": width, "height": height})
                for panel in [None, *PANELS]:
                    name = panel or "none"
                    if panel:
                        panel_open(page, panel)
                    where = f"{width}×{height} {'touch ' if touch else ''}{name}"
                    page.screenshot(
                        path=str(SCREENSHOTS / f"workspace-{width}x{height}-{name}.png")
                    )
                    assert layout_problems(page, where) == []
                    if panel:
                        panel_close(page, panel)
            assert watched.errors == []
        finally:
            watched.close()
