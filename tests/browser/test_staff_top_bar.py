"""The staff top bar on the dashboard, with the coordinator's full nav, in French and in
English: one line at 1280 px with every item on screen; narrower, the sections fold
under one button and the rest never runs off the side; from 360 to 1920 px every control
it shows (and every section, the menu opened) is where a click at its centre lands on
it; the dashboard below it always fits the window (no page scrolling) wherever it is
laid out in columns.

Screenshots: tests/browser/screenshots/top-bar-<language>-<width>.png, and
top-bar-<language>-<width>-menu.png with the sections' menu open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.layout import top_bar_blocked
from tests.browser.pages import (
    admin_key_create,
    device_certify,
    fresh_helpline,
    pending_device,
    team_key_create,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ONE_LINE_PX = 52  # 3.25rem, the bar's least height
SIZES = [(1920, 1080), (1366, 768), (1280, 800), (1024, 768), (768, 1024), (360, 740)]
# A coordinator's sections: conversations, canned replies, self-help pages, campaigns,
# report, rota, setup, audit log, security.
SECTIONS = 9

# Where every item of the bar is, whether the page runs off the side, and whether the
# dashboard runs off the bottom.
MEASURE = """() => {
  const box = (element) => element.getBoundingClientRect();
  const items = [...document.querySelectorAll('.topnav a, .topbar-end button, .whoami')];
  return {
    bar: box(document.querySelector('.topbar')).height,
    lines: new Set([...document.querySelectorAll('.topnav a')].map((a) => box(a).top)).size,
    items: items.map((element) => ({
      text: element.textContent.trim(), left: box(element).left, right: box(element).right,
    })),
    pageWidth: document.documentElement.scrollWidth,
    pageHeight: document.documentElement.scrollHeight,
  };
}"""


@pytest.fixture
def helpline(serve, embedded_env, tmp_path) -> Any:
    return fresh_helpline(serve, embedded_env, tmp_path, "Infirmière")


@pytest.fixture
def dashboard(helpline, watched, tmp_path) -> Any:
    """claire, the coordinator, at her dashboard: keys made, her device certified."""
    coordinator = watched(accept_downloads=True)
    coordinator.login(helpline.url, "claire")
    device = pending_device(coordinator)
    page = coordinator.page
    page.click("a[href='/staff/setup/']")
    admin_key_create(page, tmp_path / "helpline-admin-key.json")
    device_certify(page, device)
    team_key_create(page)
    page.goto(helpline.url + "/staff/")
    page.wait_for_selector("#workspace", state="visible")
    return page


def bar_measured(page: Any, language: str, width: int, height: int) -> dict:
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_selector("#workspace", state="visible")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"top-bar-{language}-{width}.png"))
    return page.evaluate(MEASURE)


def language_choose(page: Any, language: str) -> None:
    page.click(f".language-form button[value='{language}']")
    page.wait_for_selector(f"html[lang='{language}']")
    page.wait_for_selector("#workspace", state="visible")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_bar_fits_every_width_and_the_dashboard_fits_under_it(dashboard, language):
    language_choose(dashboard, language)
    for width, height in SIZES:
        measured = bar_measured(dashboard, language, width, height)
        where = f"{language} at {width} px: {measured}"
        assert measured["pageWidth"] <= width, where
        on_screen = [item["left"] >= 0 and item["right"] <= width for item in measured["items"]]
        assert all(on_screen), where
        if width > 720:  # columns: the dashboard fills the window, each column scrolls
            assert measured["pageHeight"] <= height, where
        listed, blocked = top_bar_blocked(dashboard)
        assert blocked == [], where
        toggle = dashboard.locator("#topnav-toggle")
        if toggle.is_visible():  # the sections, folded: each one reachable once opened
            toggle.click()
            dashboard.screenshot(path=str(SCREENSHOTS / f"top-bar-{language}-{width}-menu.png"))
            opened, blocked = top_bar_blocked(dashboard)
            assert blocked == [] and len(opened) == len(listed) + SECTIONS, (where, opened)
            dashboard.keyboard.press("Escape")
            dashboard.locator("#topnav.topnav-open").wait_for(state="detached")
        else:
            assert len(listed) == SECTIONS + 2 + 1, (where, listed)  # sections, FR/EN, sign out
    measured = bar_measured(dashboard, language, 1280, 800)
    assert measured["bar"] <= ONE_LINE_PX and measured["lines"] == 1, measured
    assert len(measured["items"]) == SECTIONS + 2 + 2  # sections, FR/EN, who, sign out
