"""The self-help pages beside the chat, in Chromium at 360 × 740 (a small phone).

- A visitor opens the link (the chat, in Bulgarian), reads a health answer on the pages,
  goes offline (CDP Network.emulateNetworkConditions) and reloads: the pages already
  seen are there and say they are read offline; the chat says it has no connection.
  Back online, they write; then quick exit leaves no cache, no service worker and no
  IndexedDB behind.
- A coordinator edits an answer in French and writes its Romanian text (which was
  missing, and listed as such); a visitor reads it; `<script>` and `javascript:` come
  out as text; the audit log names both changes.
- The manifest is valid, Chromium finds the app installable (beforeinstallprompt fires,
  in a normal, non-incognito profile), its default name and icon are neutral.
- axe-core: no serious or critical violation on the pages, visitor or staff.
- What a first visit of a section page transfers, measured.

Screenshots (tests/browser/screenshots/): pages-home-bg.png, pages-health-bg.png,
pages-health-bg-offline.png, pages-chat-offline.png, pages-staff-overview.png,
pages-staff-edit-ro.png, pages-about-ro.png, pages-audit.png, pages-install.png.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import axe_violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, helpline_env
from tests.browser.pages import Watched
from tests.browser.test_visitor_widget import more_open
from tests.staff_sign_in import browser_sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 20_000
PAGE_BUDGET_BYTES = 30 * 1024
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
NEW_FR = "Un espace pour écrire à l'équipe, quand vous voulez. **Gratuit.**"
NEW_RO = (
    "Aici îi scrii echipei. <script>alert('ro')</script> "
    "[Apasă aici](javascript:alert('ro')) · [Sună la 3919](tel:3919)"
)


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def copy_kept(page: Any) -> None:
    """Wait until the service worker has kept the offline copy (one cache, full). Polled
    from here: `evaluate` awaits the page's promises, `wait_for_function` would not."""
    for _ in range(TIMEOUT_MS // 250):
        if page.evaluate(
            """async () => {
                const names = await caches.keys();
                if (names.length !== 1) return false;
                const config = document.getElementById('pages-config')
                    ?? document.getElementById('pages-link-config');
                const kit = await (await fetch(JSON.parse(config.textContent).kit_url)).json();
                const kept = await (await caches.open(names[0])).keys();
                return kept.length >= kit.urls.length;
            }"""
        ):
            return
        page.wait_for_timeout(250)
    raise AssertionError("the offline copy was not kept")


@pytest.fixture
def pages_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    """The demo helpline, quick exit landing on its own /healthz (no Internet here)."""
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    served = serve({**helpline_env(embedded_env, data_dir), "WIDGET_EXIT_URL": "/healthz"})
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return served


def site_data(page: Any) -> dict:
    return page.evaluate(
        """async () => ({
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
            databases: (await indexedDB.databases()).map((d) => d.name),
        })"""
    )


def test_read_offline_write_online_then_quick_exit_leaves_nothing(pages_helpline, browser):
    helpline = pages_helpline
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    campaign = helpline.demo["campaign"]
    page.goto(f"{helpline.url}/c/{campaign}?lang=bg")
    page.locator("#status[data-state='open']").wait_for(timeout=TIMEOUT_MS)
    copy_kept(page)  # asked from the chat page: the pages, the chat's page and code

    page.click("#pages-link")
    page.wait_for_url(f"**/c/{campaign}/p/?lang=bg")
    shot(page, "pages-home-bg.png")
    page.get_by_role("link", name="Здраве").click()
    page.wait_for_url("**/p/health?lang=bg")
    answer = page.locator("#prep details")
    answer.locator("summary").click()
    assert "Какво е ПрЕП?" in answer.locator("summary").inner_text()
    body = answer.locator(".body").inner_text()
    assert "всеки ден" in body  # the corrected canned text: cis women take it daily
    assert answer.locator(".where a[href='tel:0800840800']").is_visible()
    answer.scroll_into_view_if_needed()
    shot(page, "pages-health-bg.png")

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", OFFLINE)
    page.reload()
    assert page.locator("#offline-note").inner_text() == (
        "Няма връзка: четете копието, запазено на този телефон."
    )
    assert page.locator("h1").inner_text() == "Здраве"
    assert page.locator("#chat-offline").is_visible()
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "pages-health-bg-offline.png")
    page.click(".home-link")
    page.wait_for_url(f"**/c/{campaign}/p/?lang=bg")
    assert page.locator("#offline-note").is_visible()
    page.click("#chat-button")
    page.wait_for_url(f"**/c/{campaign}?lang=bg")
    status = page.locator("#status[data-state='offline']")
    status.wait_for(timeout=TIMEOUT_MS)
    assert status.inner_text().startswith("Няма връзка.")
    shot(page, "pages-chat-offline.png")

    cdp.send("Network.emulateNetworkConditions", ONLINE)
    page.locator("#status[data-state='open']").wait_for(timeout=TIMEOUT_MS)
    page.fill("#text", "Здравейте, имам въпрос за ПрЕП.")
    page.click("#send")
    page.locator("li.from-me .mark[data-state='sent']").wait_for(timeout=TIMEOUT_MS)
    more_open(page)  # "keep on this phone" is under Options
    page.locator("#remember").check()  # now there is an IndexedDB database to wipe
    for _ in range(TIMEOUT_MS // 250):
        before = site_data(page)
        if before["databases"]:
            break
        page.wait_for_timeout(250)
    assert len(before["caches"]) == 1 and before["workers"] == 1
    assert before["databases"] == ["widget-state"]

    page.click("#quick-exit")
    page.wait_for_url(f"{helpline.url}/healthz", timeout=TIMEOUT_MS)
    assert site_data(page) == {"caches": [], "workers": 0, "databases": []}
    assert errors == []
    context.close()


def test_quick_exit_from_the_pages_leaves_nothing(pages_helpline, browser):
    helpline = pages_helpline
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}/p/rights?lang=ro")
    copy_kept(page)
    page.click("#quick-exit")
    page.wait_for_url(f"{helpline.url}/healthz", timeout=TIMEOUT_MS)
    assert site_data(page) == {"caches": [], "workers": 0, "databases": []}
    context.close()


def test_delete_now_also_deletes_the_offline_copy(pages_helpline, browser):
    helpline = pages_helpline
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}?lang=es")
    page.locator("#status[data-state='open']").wait_for(timeout=TIMEOUT_MS)
    copy_kept(page)
    more_open(page)
    page.locator("#remember").check()
    page.fill("#text", "Hola, una pregunta.")
    page.click("#send")
    page.locator("li.from-me .mark[data-state='sent']").wait_for(timeout=TIMEOUT_MS)
    page.click("#delete-now")
    page.click("#delete-yes")
    page.locator("li.notice", has_text="La conversación se ha borrado").wait_for(timeout=TIMEOUT_MS)
    assert site_data(page) == {"caches": [], "workers": 0, "databases": []}
    context.close()


def test_a_coordinator_edits_french_adds_romanian_and_a_visitor_reads_it(pages_helpline, browser):
    url, demo = pages_helpline.url, pages_helpline.demo
    coordinator = Watched(browser, viewport={"width": 1280, "height": 900})
    page = coordinator.page
    page.goto(url + "/staff/login/")
    browser_sign_in(page, "demo", demo["password"], demo["totp_secret"])
    page.wait_for_url(f"{url}/staff/**")

    # The Romanian text of "What is the chat?" is removed: the overview lists it missing.
    page.goto(url + "/staff/pages/about/ro")
    chat = page.locator("#answer-chat")
    for field in (
        "input[name^='question-']",
        "textarea[name^='body-']",
        "textarea[name^='where-']",
    ):
        chat.locator(field).fill("")
    page.get_by_role("button", name="Enregistrer").click()
    page.goto(url + "/staff/pages/")
    assert "ro: chat" in page.locator("#missing-title + ul").inner_text().replace("\n", " ")
    assert axe_violations(page) == []
    shot(page, "pages-staff-overview.png", full_page=True)

    page.goto(url + "/staff/pages/about/fr")
    page.locator("#answer-chat textarea[name^='body-']").fill(NEW_FR)
    page.get_by_role("button", name="Enregistrer").click()
    page.locator(".notices").wait_for()
    assert "<strong>Gratuit.</strong>" in page.locator("#answer-chat .preview").inner_html()

    page.goto(url + "/staff/pages/about/ro")
    chat = page.locator("#answer-chat")
    chat.locator("input[name^='question-']").fill("Ce este chatul?")
    chat.locator("textarea[name^='body-']").fill(NEW_RO)
    page.get_by_role("button", name="Enregistrer").click()
    page.locator(".notices").wait_for()
    assert axe_violations(page) == []
    chat.scroll_into_view_if_needed()
    shot(page, "pages-staff-edit-ro.png")

    visitor = browser.new_context(**PHONE)
    reader = visitor.new_page()
    dialogs: list[str] = []
    reader.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    reader.goto(f"{url}/c/{demo['campaign']}/p/about?lang=ro")
    answer = reader.locator("#chat details")
    answer.locator("summary").click()
    assert answer.locator("summary").inner_text() == "Ce este chatul?"
    body = answer.locator(".body")
    assert "<script>alert('ro')</script>" in body.inner_text()  # shown as text
    assert "[Apasă aici](javascript:alert('ro'))" in body.inner_text()
    assert body.locator("script").count() == 0
    assert [a.get_attribute("href") for a in body.locator("a").all()] == ["tel:3919"]
    answer.locator("text=Apasă aici").click()
    reader.wait_for_timeout(300)
    assert dialogs == []
    shot(reader, "pages-about-ro.png")
    reader.goto(f"{url}/c/{demo['campaign']}/p/about?lang=fr")
    reader.locator("#chat summary").click()
    assert reader.locator("#chat .body strong").inner_text() == "Gratuit."
    visitor.close()

    page.goto(url + "/staff/audit/")
    log = page.inner_text("main")
    assert "about/chat [fr]" in log and "about/chat [ro]" in log
    assert "page d’aide modifiée" in log
    shot(page, "pages-audit.png")
    assert coordinator.errors == []
    coordinator.close()


def test_the_app_is_installable_with_a_neutral_name_and_icon(helpline, browser):
    """A normal profile (Chromium never offers to install from an incognito one)."""
    profile = tempfile.mkdtemp(prefix="pages-install-")
    context = browser.browser_type.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **PHONE
    )
    try:
        context.add_init_script(
            "window.__installable = 0; addEventListener('beforeinstallprompt', (event) => {"
            " event.preventDefault(); window.__installable += 1; });"
        )
        page = context.new_page()
        page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}/p/?lang=fr")
        # Polled from here: wait_for_function's polling evaluates strings, which the
        # page's CSP (no 'unsafe-eval') refuses.
        for _ in range(TIMEOUT_MS // 250):
            if page.evaluate("() => window.__installable") > 0:
                break
            page.wait_for_timeout(250)
        assert page.evaluate("() => window.__installable") == 1
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        parsed = json.loads(manifest["data"])
        assert parsed["name"] == "Messages" and parsed["start_url"].endswith("/p/?lang=fr")
        icon = page.request.get(helpline.url + parsed["icons"][0]["src"])
        assert icon.ok and icon.headers["content-type"] == "image/png"
        shot(page, "pages-install.png")
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_pages_have_no_serious_accessibility_violation(helpline, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    base = f"{helpline.url}/c/{helpline.demo['campaign']}"
    for path in ("/p/?lang=fr", "/p/health?lang=bg", "/p/help?lang=zh", "/p/about?lang=en"):
        page.goto(base + path)
        for summary in page.locator("details.answer summary").all()[:3]:
            summary.click()
        assert axe_violations(page) == [], path
    page.goto(f"{base}?lang=ru")  # the chat page's link to the pages (the rest is the chat's)
    page.locator("#pages-link").wait_for()
    assert [found for found in axe_violations(page) if "pages-link" in found] == []
    context.close()


def test_a_first_visit_of_a_section_page_transfers_at_most_30_kb(helpline, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(f"{helpline.url}/c/{helpline.demo['campaign']}/p/health?lang=bg")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    loaded_sizes = dict(sizes)
    loaded = sum(loaded_sizes.values())
    names = sorted(urls[key].rsplit("/", 1)[-1][:24] for key in loaded_sizes)
    copy_kept(page)  # then the worker's copy of the other pages, in the background
    kept = page.evaluate(
        """async () => {
            const cache = await caches.open((await caches.keys())[0]);
            let total = 0;
            for (const request of await cache.keys()) {
                const response = await cache.match(request);
                total += (await response.arrayBuffer()).byteLength;
            }
            return total;
        }"""
    )
    print(
        f"\nsection page, first visit: {loaded} bytes in {len(names)} responses {names}; "
        f"offline copy kept afterwards: {kept} bytes (decoded)"
    )
    assert loaded <= PAGE_BUDGET_BYTES
    context.close()
