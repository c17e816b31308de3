"""Canned replies and the multilingual visitor side, in real browsers (issue 5).

A live helpline (the demo seeded: the starter library loaded, a shift open now with
Camille on it). A visitor whose phone speaks Bulgarian gets the Bulgarian page and
writes; Camille claims the conversation, types `/prep`, sees the Bulgarian text with the
French beside it, adds `/urgences`, is told `/essai-fr` (written by the association in
French only) has no Bulgarian text (nothing inserted), and sends; the visitor reads it
in Bulgarian. Every frame and body that leaves either browser is recorded: none holds
the text. A second visitor, on a
Chinese phone, gets the Chinese page and switches language in the page.

The staff browser's search and variable filling (ops/static/ops/canned-text.js) are
checked against the vectors the Python implementation is tested with.

The demo's trap (a variable without a value) is a test of its own.

Screenshots: tests/browser/screenshots/canned-picker.png, visitor-bg.png, visitor-zh.png,
canned-missing-variable.png, canned-variable-set.png.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.client import VisitorClient
from tests.browser.conftest import helpline_env
from tests.browser.pages import Watched
from tests.browser.shift_setup import (
    StaffApi,
    browser_certify,
    conversation_show,
    demo_workspace_open,
    passwords_set,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "canned_vectors.json").read_text("utf-8")
)
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
VISITOR_TEXT = "Здравейте, искам да питам за PrEP. Може ли на български?"
TESTING_CENTRE = "CeGIDD Saint-Louis, 1 avenue Claude-Vellefaux, Paris 10e"
TESTING_CENTRE_BG = "CeGIDD в болница Saint-Louis, 1 avenue Claude-Vellefaux, Париж 10"
PREP_BG = "PrEP е лекарство, което ви пази от заразяване с ХИВ"
PREP_FR = "La PrEP est un médicament qui empêche d’attraper le VIH"


@pytest.fixture
def canned_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = helpline_env(embedded_env, data_dir)
    passwords_set(env, ["camille"])
    served = serve(env)
    served.env = env
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return served


@pytest.fixture
def browsers(browser) -> Iterator[dict[str, Watched]]:
    opened = {
        "visitor": Watched(browser, viewport=PHONE, locale="bg-BG", is_mobile=True),
        "camille": Watched(browser, viewport=DESKTOP),
        "visitor_zh": Watched(browser, viewport=PHONE, locale="zh-CN", is_mobile=True),
    }
    yield opened
    for watched in opened.values():
        watched.close()


def test_staff_answer_a_bulgarian_visitor_with_prep_in_bulgarian(canned_helpline, browsers):
    helpline = canned_helpline
    visitor, camille = browsers["visitor"], browsers["camille"]
    # The coordinator (the demo account) sets the testing centre: for every language,
    # and its own wording for Bulgarian.
    coordinator = StaffApi(
        helpline.url, "demo", helpline.demo["password"], helpline.demo["totp_secret"]
    )
    status, _ = coordinator.call(
        "PUT",
        "/canned/variables",
        {
            "variables": [
                {"name": "testing_centre", "value": TESTING_CENTRE},
                {"name": "testing_centre", "language": "bg", "value": TESTING_CENTRE_BG},
            ]
        },
    )
    assert status == 200
    # An entry the association wrote in French only (every starter entry has a Bulgarian
    # text): the picker says so for a Bulgarian conversation.
    coordinator.ok(
        "POST",
        "/canned",
        {"shortcut": "essai-fr", "title": "Essai", "texts": {"fr": {"body": "En français."}}},
    )

    # A phone in Bulgarian gets the Bulgarian page, and writes.
    visitor.page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}")
    assert visitor.page.get_attribute("html", "lang") == "bg"
    assert visitor.page.inner_text("#quick-exit") == "Бърз изход"
    assert "Можете да ни пишете тук" in visitor.page.inner_text("#messages")
    composer = visitor.page.locator("#text:not([disabled])")
    composer.fill(VISITOR_TEXT)
    composer.press("Enter")
    visitor.page.locator('li.from-me .mark[data-state="sent"]').wait_for()

    # Camille's browser, certified, claims the Bulgarian conversation.
    camille.login(helpline.url, "camille")
    page = camille.page
    page.wait_for_selector("#gate-pending", state="visible")
    browser_certify(helpline.env, "camille")
    page.click("#check-again")
    page.wait_for_selector("#connection-status[data-status='open']")
    entry = page.locator("#queue-list .queue-entry:has(.conversation-item[data-language='bg'])")
    entry.locator(".claim").click()
    page.locator(".message-visitor .bubble", has_text=VISITOR_TEXT).wait_for()

    # The browser's search and filling give the answers Python gives.
    checked = page.evaluate(JS_VECTORS, VECTORS)
    assert checked == {
        "search": len(VECTORS["search"]),
        "fill": len(VECTORS["fill"]),
        "library_language": len(VECTORS["library_language"]),
    }

    # "/prep": the Bulgarian text, variables filled for Bulgarian, the French beside it.
    field = page.locator("#composer-text")
    field.press_sequentially("/prep")
    option = page.locator("#canned-results [role='option']").first
    option.wait_for()
    assert option.get_attribute("data-shortcut") == "prep"
    assert option.get_attribute("aria-selected") == "true"
    assert page.locator("#canned-picker").is_visible()
    assert field.get_attribute("aria-activedescendant") == option.get_attribute("id")
    bulgarian = option.locator(".canned-col[data-language='bg'] .canned-body").inner_text()
    french = option.locator(".canned-col[data-language='fr'] .canned-body").inner_text()
    assert bulgarian.startswith(PREP_BG) and TESTING_CENTRE_BG in bulgarian
    assert french.startswith(PREP_FR) and TESTING_CENTRE in french
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "canned-picker.png"))
    field.press("Enter")
    assert page.locator("#canned-picker").is_hidden()
    assert field.input_value() == bulgarian
    assert page.locator("#canned-beside").is_visible()
    assert PREP_FR in page.inner_text("#canned-beside-list")

    # A second reply, found by its Cyrillic tag, joins the first in the same message.
    field.press("Shift+Enter")
    field.press_sequentially("/спешен")
    page.locator("#canned-results [role='option'][data-shortcut='urgences']").wait_for()
    field.press("Enter")
    draft = field.input_value()
    assert draft.startswith(PREP_BG) and "112: всякакви спешни случаи" in draft

    # A reply with no Bulgarian text: said, and nothing inserted.
    field.press("Shift+Enter")
    field.press_sequentially("/essai-fr")
    page.locator("#canned-results [data-shortcut='essai-fr']").wait_for()
    assert "bulgare" in page.inner_text("#canned-results [data-shortcut='essai-fr']")
    field.press("Enter")
    notice = page.locator("#canned-notice")
    notice.wait_for()
    assert "/essai-fr" in notice.inner_text()
    assert field.input_value().endswith("/essai-fr")
    field.press("Escape")
    for _ in range(len("/essai-fr") + 1):
        field.press("Backspace")
    sent = field.input_value()
    assert sent == draft

    field.press("Enter")
    page.locator(".message-own .bubble", has_text=PREP_BG).wait_for()
    assert page.locator("#canned-beside").is_hidden()

    # The visitor reads it in Bulgarian.
    visitor.page.locator("li.from-staff", has_text=PREP_BG).wait_for()
    assert TESTING_CENTRE_BG in visitor.page.inner_text("li.from-staff:last-child")
    visitor.page.locator("li.from-staff").last.scroll_into_view_if_needed()
    visitor.page.screenshot(path=str(SCREENSHOTS / "visitor-bg.png"))

    # Nothing typed or sent left either browser in clear.
    for watched in (visitor, camille):
        for line in (VISITOR_TEXT, sent, PREP_BG, TESTING_CENTRE_BG):
            assert not watched.sent_contains(line)
    assert visitor.errors == []
    assert camille.errors == []


def test_a_missing_variable_is_named_under_the_field_and_enter_never_inserts_twice(
    canned_helpline, browser, background
):
    """The demo's trap, as a new staff member meets it: `/prep` needs {testing_centre},
    which has no value. Enter puts the reply in once and closes the list; Enter again
    sends nothing: the line under the field names {testing_centre} and links to where
    it is set. The coordinator follows the link (a new tab: the draft stays), sets it
    there, and the reply then goes in complete."""
    helpline = canned_helpline
    coordinator = StaffApi(
        helpline.url, "demo", helpline.demo["password"], helpline.demo["totp_secret"]
    )
    values = coordinator.ok("GET", "/canned")["variables"]["values"]
    kept = [value for value in values if value["name"] != "testing_centre"]
    coordinator.ok("PUT", "/canned/variables", {"variables": kept})
    visitor = VisitorClient(
        [helpline.url],
        admin_fingerprint=bytes.fromhex(helpline.demo["fingerprint"]),
        language="fr",
        campaign=helpline.demo["campaign"],
    )
    background.run(visitor.start())
    question = "Bonjour, c’est quoi la PrEP ?"
    background.run(visitor.say(question))
    staff = Watched(browser, viewport={"width": 1280, "height": 800})
    try:
        page = demo_workspace_open(staff, helpline)
        conversation_show(page, visitor.conversation_id, question)
        field = page.locator("#composer-text")
        field.press_sequentially("/prep")
        option = page.locator("#canned-results [data-shortcut='prep']")
        option.wait_for()
        reply = option.locator(".canned-col[data-language='fr'] .canned-body").inner_text()
        assert reply.startswith(PREP_FR) and "{testing_centre}" in reply

        field.press("Enter")
        field.press("Enter")
        assert field.input_value() == reply  # once
        assert page.locator("#canned-picker").is_hidden()
        warning = page.locator("#canned-missing")
        assert warning.is_visible()
        assert "{testing_centre}" in warning.inner_text()
        link = warning.locator("a[data-variable='testing_centre']")
        assert link.get_attribute("href") == "/staff/canned/?variable=testing_centre#variables"
        assert link.inner_text() == "Définir {testing_centre}"
        assert page.locator("#messages .message-own").count() == 0  # nothing was sent
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "canned-missing-variable.png"))

        # Where it is set: the canned replies page, on that variable's value.
        with staff.context.expect_page() as opened:
            link.click()
        canned = opened.value
        canned.wait_for_function(
            """() => document.activeElement?.classList.contains('var-value')
                 && document.activeElement.closest('li').querySelector('.var-name').value
                    === 'testing_centre'"""
        )
        canned.keyboard.type(TESTING_CENTRE)
        canned.get_by_role("button", name="Enregistrer les valeurs").click()
        saved = canned.locator("#variables-status.notice-ok", has_text="Valeurs enregistrées")
        saved.wait_for()
        assert "{testing_centre}" in saved.inner_text()
        canned.screenshot(path=str(SCREENSHOTS / "canned-variable-set.png"))
        canned.close()

        # Back in the conversation: the reply goes in complete, and is sent.
        field.fill("")
        field.press_sequentially("/prep")
        option.wait_for()
        field.press("Enter")
        assert TESTING_CENTRE in field.input_value()
        assert warning.is_hidden()
        field.press("Enter")
        page.locator(".message-own .bubble", has_text=TESTING_CENTRE).wait_for()
        assert staff.errors == []
    finally:
        staff.close()
        background.run(visitor.stop())


def test_a_chinese_phone_gets_the_chinese_page_and_may_switch(canned_helpline, browsers):
    helpline = canned_helpline
    visitor = browsers["visitor_zh"]
    page = visitor.page
    page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}")
    assert page.get_attribute("html", "lang") == "zh"
    assert page.inner_text("#quick-exit") == "快速离开"
    page.wait_for_selector("#status[data-state='open']")
    composer = page.locator("#text:not([disabled])")
    assert composer.get_attribute("placeholder") == "在这里输入…"

    # Switched in the page: no reload (the conversation lives in memory), only the
    # chosen language's catalogue fetched, and the choice kept in this tab's address.
    page.select_option("#language", "bg")
    page.wait_for_function("() => document.documentElement.lang === 'bg'")
    assert page.inner_text("#quick-exit") == "Бърз изход"
    assert "lang=bg" in page.url
    page.select_option("#language", "zh")
    page.wait_for_function("() => document.documentElement.lang === 'zh'")
    assert page.inner_text("#quick-exit") == "快速离开"
    catalogues = page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/i18n/')).map(n => n.split('/').pop().split('.')[0])"
    )
    assert sorted(set(catalogues)) == ["bg", "zh"]
    composer.fill("你好，我想问一下怎么做检测。")
    composer.press("Enter")
    page.locator('li.from-me .mark[data-state="sent"]').wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "visitor-zh.png"))
    assert not visitor.sent_contains("你好，我想问一下怎么做检测。")
    assert visitor.errors == []


JS_VECTORS = """
async (vectors) => {
  const url = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/ops\\/canned-text(\\.[0-9a-f]+)?\\.js$/.test(name));
  const { fill, libraryLanguage, search, searchable } = await import(url);
  const entries = vectors.entries.map((e) => searchable(e.shortcut, e.shortcut, e.titles, e.tags));
  let searched = 0;
  for (const c of vectors.search) {
    const got = JSON.stringify(search(entries, c.query));
    if (got !== JSON.stringify(c.expect)) throw new Error(`search ${c.query}: ${got}`);
    searched += 1;
  }
  let filled = 0;
  for (const c of vectors.fill) {
    const got = fill(c.body, c.values);
    if (got.text !== c.text || JSON.stringify(got.missing) !== JSON.stringify(c.missing)) {
      throw new Error(`fill ${c.body}: ${JSON.stringify(got)}`);
    }
    filled += 1;
  }
  let languages = 0;
  for (const c of vectors.library_language) {
    const got = libraryLanguage(c.tag, c.languages);
    if (got !== c.expect) throw new Error(`libraryLanguage ${c.tag}: ${got}`);
    languages += 1;
  }
  return { search: searched, fill: filled, library_language: languages };
}
"""
