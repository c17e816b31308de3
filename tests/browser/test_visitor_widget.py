"""The visitor's chat in a real Chromium, on a phone-sized screen, against a live helpline.

The visitor only uses the keyboard; the staff side is the Python reference client
(chat.client.StaffClient) with the demo's device, running in a background loop. What the
browser sends over the websocket is captured: no typed text ever leaves it in clear.

Screenshots go to tests/browser/screenshots/ (git-ignored): visitor-360x740.png and
visitor-embed.png. What the page costs on a slow line is measured by
tests/browser/test_visitor_phone.py.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from chat.client import DeviceKeys, StaffClient
from chat.protocol import frames as f
from tests.conftest import port_free

pytestmark = pytest.mark.browser

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 360, "height": 740}
ROLE_LABEL = "Infirmière"
TIMEOUT_MS = 20_000


# --- a live helpline configured for the widget -----------------------------------------


@dataclass
class WidgetHelpline:
    served: Any  # tests/conftest.py's Served: the first server process
    env: dict[str, str]
    demo_dir: Path
    partner_url: str
    restarted: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def demo(self) -> dict:
        return json.loads((self.demo_dir / "demo.json").read_text())

    @property
    def chat_url(self) -> str:
        return f"{self.url}/c/{self.demo['campaign']}"

    def server_stop(self) -> None:
        """The helpline goes away, as behind a phone that lost its signal."""
        self.served.stop()
        for process in self.restarted:
            process.terminate()
            process.wait(timeout=30)

    def server_start(self) -> None:
        """The helpline comes back on the same address, with the same database."""
        ready = self.served.output_path.with_suffix(f".ready-{len(self.restarted)}")
        with self.served.output_path.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(self.served.port)]
                + ["--ready-file", str(ready)],
                cwd=BASE_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.restarted.append(process)
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, self.served.output()
            assert time.monotonic() < deadline, self.served.output()
            time.sleep(0.05)

    def close(self) -> None:
        for process in self.restarted:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


class PartnerSite:
    """A partner's web page on another origin, with the embed snippet in it."""

    def __init__(self, directory: Path, port: int) -> None:
        handler = partial(QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


PARTNER_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Association partenaire</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Association partenaire</h1>
<p>Nos permanences, nos actions de prévention, nos contacts.</p></main>
<script src="{helpline}/static/widget/embed.js" data-campaign="{campaign}" defer></script>
</body></html>
"""


@pytest.fixture
def widget_helpline(serve, embedded_env, seeded_template, tmp_path) -> Iterator[WidgetHelpline]:
    """`manage.py serve` on a copy of the seeded demo, with quick exit landing on the
    helpline's own /healthz and one partner site allowed to frame the chat."""
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    partner_port = port_free()
    partner_url = f"http://127.0.0.1:{partner_port}"
    env = {
        **embedded_env,
        "DATABASE_URL": f"sqlite:///{data_dir / 'helpline.sqlite3'}",
        "SECRET_KEY": "browser-tests-only-" + "x" * 40,
        "CHAT_DEMO_DIR": str(data_dir / "demo"),
        "WIDGET_EXIT_URL": "/healthz",
        "WIDGET_PARTNER_ORIGINS": partner_url,
    }
    served = serve(env)
    helpline = WidgetHelpline(
        served=served, env=env, demo_dir=data_dir / "demo", partner_url=partner_url
    )
    partner_dir = tmp_path / "partner"
    partner_dir.mkdir()
    (partner_dir / "index.html").write_text(
        PARTNER_PAGE.format(helpline=helpline.url, campaign=helpline.demo["campaign"])
    )
    partner = PartnerSite(partner_dir, partner_port)
    yield helpline
    partner.close()
    helpline.close()


@pytest.fixture
def phone(browser) -> Iterator[Any]:
    """A fresh browser profile the size of a cheap phone."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    yield context
    context.close()


# --- what leaves the browser ------------------------------------------------------------


@dataclass
class Traffic:
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    # Console errors and uncaught exceptions (a CSP violation shows up here too).
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("websocket", self._socket)
        page.on("response", lambda response: self.responses.append(response))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def _socket(self, socket: Any) -> None:
        socket.on("framesent", lambda payload: self.sent.append(str(payload)))
        socket.on("framereceived", lambda payload: self.received.append(str(payload)))

    def clear_text_absent(self, *texts: str) -> None:
        for frame in self.sent + self.received:
            for text in texts:
                assert text not in frame


# --- the visitor's page -------------------------------------------------------------------


def chat_open(page: Any, url: str) -> None:
    """Open the chat link; return once the page can send (script and strings in)."""
    page.goto(url)
    page.wait_for_function("!document.getElementById('send').disabled", timeout=TIMEOUT_MS)


def focus_by_tab(page: Any, element_id: str, limit: int = 15) -> None:
    """Tab through the page until `element_id` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def more_open(page: Any) -> None:
    """Open the Options panel (keep on this phone, the return code, delete)."""
    button = page.locator("#more:not([disabled])")
    button.wait_for(timeout=TIMEOUT_MS)
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    page.locator("#more-panel").wait_for(timeout=TIMEOUT_MS)


def type_and_send(page: Any, text: str) -> None:
    if page.evaluate("document.activeElement && document.activeElement.id") != "text":
        focus_by_tab(page, "text")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def own_mark(page: Any, text: str, state: str) -> None:
    """Wait until the visitor's message `text` shows the mark `state`."""
    page.locator("li.from-me", has_text=text).locator(f'.mark[data-state="{state}"]').wait_for(
        timeout=TIMEOUT_MS
    )


def storage_of_origin(page: Any) -> dict:
    return page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((d) => d.name),
            local: localStorage.length,
            session: sessionStorage.length,
        })"""
    )


# --- the staff side -------------------------------------------------------------------------


def staff_connect(helpline: WidgetHelpline, background: Any) -> StaffClient:
    demo = helpline.demo
    staff = StaffClient.login(
        [helpline.url],
        username=demo["username"],
        password=demo["password"],
        totp_secret=demo["totp_secret"],
        device=DeviceKeys.load(helpline.demo_dir / "staff.device.json"),
        admin_fingerprint=bytes.fromhex(demo["fingerprint"]),
    )
    background.run(staff.start())
    return staff


async def conversation_follow(staff: StaffClient) -> str:
    """The newest conversation, subscribed, with its epoch secret opened."""
    conversations = await staff.list_conversations()
    conversation_id = conversations[0].conversation_id
    await staff.subscribe(conversation_id)
    await staff.wait_for_epoch(conversation_id)
    return conversation_id


async def staff_answer(staff: StaffClient, conversation_id: str, text: str) -> None:
    profile = json.dumps({"kind": "profile", "label": ROLE_LABEL}).encode()
    await staff.send_content(conversation_id, profile, "event")
    await staff.send_text(conversation_id, text)


async def receipt_send(staff: StaffClient, conversation_id: str, kind: str, order: int) -> None:
    await staff.connection.send(
        f.ReceiptSend(conversation_id=conversation_id, kind=kind, order=order)
    )


# --- screenshots -----------------------------------------------------------------------------


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


# --- tests ----------------------------------------------------------------------------------------


def test_a_visitor_writes_and_the_staff_answers_with_their_role(
    widget_helpline, phone, background, browser
):
    page = phone.new_page()
    traffic = Traffic()
    traffic.watch(page)
    chat_open(page, widget_helpline.chat_url)

    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.title() == "Messages"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    question = "Bonjour, j'ai besoin d'un dépistage, c'est possible cette semaine ?"
    type_and_send(page, question)
    own_mark(page, question, "sent")

    staff = staff_connect(widget_helpline, background)
    try:
        conversation_id = background.run(conversation_follow(staff))
        received = background.run(staff.receive(timeout=20))
        assert received.text == question
        assert received.sender == "visitor"

        background.run(receipt_send(staff, conversation_id, "delivered", received.order))
        own_mark(page, question, "delivered")
        background.run(receipt_send(staff, conversation_id, "read", received.order))
        own_mark(page, question, "read")

        answer = "Bonjour ! Oui, on peut organiser un dépistage gratuit. Quel jour vous arrange ?"
        background.run(staff_answer(staff, conversation_id, answer))
        staff_message = page.locator("li.from-staff", has_text=answer)
        staff_message.wait_for(timeout=TIMEOUT_MS)
        assert staff_message.locator(".who").inner_text() == ROLE_LABEL
        page.locator("#announcer", has_text=answer).wait_for(timeout=TIMEOUT_MS)

        reply = "Jeudi après-midi, merci beaucoup."
        type_and_send(page, reply)
        own_mark(page, reply, "sent")
        assert background.run(staff.receive(timeout=20)).text == reply

        # The visitor saw the answer: the staff is told it was read.
        deadline = time.monotonic() + 20
        while not any(r.kind == "read" and r.by == "visitor" for r in staff.receipts):
            assert time.monotonic() < deadline, "the visitor's read receipt never came"
            time.sleep(0.1)
    finally:
        background.run(staff.stop())

    traffic.clear_text_absent(question, answer, reply, ROLE_LABEL)
    assert traffic.sent, "the page never used its websocket"
    assert traffic.errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "visitor-360x740.png")


def test_the_proof_of_work_is_solved_in_a_worker_and_the_first_message_pays_with_it(
    widget_helpline, phone
):
    """Issue 15: the page solves its `open.challenge` in a Web Worker as it connects, and
    the first message's `conversation.open` carries the solution the server accepted."""
    page = phone.new_page()
    traffic = Traffic()
    traffic.watch(page)
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))
    chat_open(page, widget_helpline.chat_url)
    type_and_send(page, "Bonjour")
    own_mark(page, "Bonjour", "sent")

    # (the static file's name carries its hash: visitor-pow-worker.<hash>.js)
    assert [url.rsplit("/", 1)[-1].split(".")[0] for url in workers] == ["visitor-pow-worker"]
    received = [json.loads(text) for text in traffic.received]
    sent = [json.loads(text) for text in traffic.sent]
    challenge = next(frame for frame in received if frame["type"] == "open.challenge")
    [opening] = [frame for frame in sent if frame["type"] == "conversation.open"]
    assert opening["pow"]["challenge"] == challenge["challenge"]
    assert 0 <= opening["pow"]["number"] <= challenge["max_number"]
    assert traffic.errors == []


def test_an_admin_key_other_than_the_pinned_one_is_refused(widget_helpline, phone):
    """The page pins the admin fingerprint; here it pins another one, as if the server
    presented a key it made up: nothing the visitor types is sent, and they are warned.

    The configuration is changed in the page after parsing, before the modules run
    (rewriting the HTTP response instead would make Chromium treat the page as public
    and refuse its websocket to 127.0.0.1, Local Network Access)."""
    page = phone.new_page()
    page.add_init_script(
        """document.addEventListener("readystatechange", () => {
            if (document.readyState !== "interactive") return;
            const element = document.getElementById("widget-config");
            const config = JSON.parse(element.textContent);
            config.admin_fingerprint = "ab".repeat(32);
            element.textContent = JSON.stringify(config);
        });"""
    )
    traffic = Traffic()
    traffic.watch(page)
    chat_open(page, widget_helpline.chat_url)
    text = "Ce message ne doit jamais partir."
    type_and_send(page, text)
    page.locator("li.from-me", has_text=text).locator('.mark[data-state="failed"]').wait_for(
        timeout=TIMEOUT_MS
    )
    problem = page.locator("#problem")
    assert problem.is_visible()
    assert "Contrôle de sécurité" in problem.inner_text()
    assert not any('"envelope.send"' in frame for frame in traffic.sent)
    assert not any('"commit.submit"' in frame for frame in traffic.sent)


def test_messages_typed_while_the_connection_is_gone_leave_when_it_comes_back(
    widget_helpline, phone, background
):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    first = "Premier message, avant la coupure."
    type_and_send(page, first)
    own_mark(page, first, "sent")

    widget_helpline.server_stop()
    page.wait_for_selector('#status[data-state="reconnecting"]', timeout=TIMEOUT_MS)
    waiting = "Écrit pendant la coupure."
    type_and_send(page, waiting)
    page.locator("li.from-me", has_text=waiting).locator('.mark[data-state="queued"]').wait_for(
        timeout=TIMEOUT_MS
    )

    widget_helpline.server_start()
    own_mark(page, waiting, "sent")
    page.wait_for_selector('#status[data-state="open"]', timeout=TIMEOUT_MS)

    staff = staff_connect(widget_helpline, background)
    try:
        background.run(conversation_follow(staff))
        texts = [background.run(staff.receive(timeout=20)).text for _ in range(2)]
    finally:
        background.run(staff.stop())
    assert texts == [first, waiting]


def test_quick_exit_wipes_the_phone_and_leaves_for_the_exit_page(widget_helpline, phone):
    page = phone.new_page()
    page.goto(f"{widget_helpline.partner_url}/index.html")  # where the visitor came from
    chat_open(page, widget_helpline.chat_url)
    more_open(page)
    page.locator("#remember").check()
    type_and_send(page, "Un message qui ne doit pas rester sur ce téléphone")
    own_mark(page, "Un message qui ne doit pas rester", "sent")
    page.wait_for_function(
        "async () => (await indexedDB.databases()).some((d) => d.name === 'widget-state')",
        timeout=TIMEOUT_MS,
    )

    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(f"{widget_helpline.url}/healthz", timeout=TIMEOUT_MS)

    assert storage_of_origin(page) == {"databases": [], "local": 0, "session": 0}
    # The chat replaced itself in the history: Back goes to the page before it.
    page.go_back()
    assert page.url == f"{widget_helpline.partner_url}/index.html"


def test_the_quick_exit_button_works_before_anything_was_sent(widget_helpline, phone):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    focus_by_tab(page, "quick-exit")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{widget_helpline.url}/healthz", timeout=TIMEOUT_MS)
    assert storage_of_origin(page) == {"databases": [], "local": 0, "session": 0}


def test_staying_signed_in_resumes_the_conversation_after_a_reload(widget_helpline, phone):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    focus_by_tab(page, "more")
    page.keyboard.press("Enter")  # the panel opens on its first choice
    assert page.evaluate("document.activeElement.id") == "remember"
    page.keyboard.press("Space")
    assert page.locator("#remember").is_checked()
    first = "Je reviendrai plus tard, gardez la conversation."
    type_and_send(page, first)
    own_mark(page, first, "sent")
    page.wait_for_function(
        "async () => (await indexedDB.databases()).some((d) => d.name === 'widget-state')",
        timeout=TIMEOUT_MS,
    )

    page.reload()
    page.locator("li.from-me", has_text=first).wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#remember").is_checked()
    page.locator('li.notice[data-i18n="resumed"]').wait_for(timeout=TIMEOUT_MS)
    second = "Me revoilà."
    type_and_send(page, second)
    own_mark(page, second, "sent")
    assert page.locator("li.from-me").count() == 2


def test_without_staying_signed_in_a_reload_starts_afresh(widget_helpline, phone):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    assert not page.locator("#remember").is_checked()
    text = "Un message oublié au rechargement"
    type_and_send(page, text)
    own_mark(page, text, "sent")
    assert storage_of_origin(page) == {"databases": [], "local": 0, "session": 0}

    page.reload()
    page.wait_for_function("!document.getElementById('text').disabled", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    assert page.locator("li.from-me").count() == 0
    assert storage_of_origin(page) == {"databases": [], "local": 0, "session": 0}


def test_turning_staying_signed_in_off_forgets_at_once(widget_helpline, phone):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    more_open(page)
    page.locator("#remember").check()
    type_and_send(page, "Un message")
    own_mark(page, "Un message", "sent")
    page.wait_for_function(
        "async () => (await indexedDB.databases()).some((d) => d.name === 'widget-state')",
        timeout=TIMEOUT_MS,
    )
    page.locator("#remember").uncheck()
    page.wait_for_function(
        "async () => (await indexedDB.databases()).length === 0", timeout=TIMEOUT_MS
    )


def test_the_language_switch_changes_the_page_without_losing_the_conversation(
    widget_helpline, phone
):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    text = "Hello, do you speak English?"
    type_and_send(page, text)
    own_mark(page, text, "sent")
    page.locator("#language").select_option("en")
    page.locator("#quick-exit", has_text="Quick exit").wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("li.from-me", has_text=text).locator(".mark").inner_text() == "Sent"
    assert page.locator("#text").get_attribute("placeholder") == "Write here…"


def test_an_english_phone_gets_the_chat_in_english(widget_helpline, browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        page = context.new_page()
        chat_open(page, widget_helpline.chat_url)
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("#quick-exit").inner_text() == "Quick exit"
    finally:
        context.close()


def test_the_chat_embedded_in_a_partner_site(widget_helpline, browser):
    context = browser.new_context(viewport={"width": 1000, "height": 720}, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{widget_helpline.partner_url}/index.html")
        button = page.locator("#helpline-chat-button")
        button.wait_for(timeout=TIMEOUT_MS)
        assert button.get_attribute("aria-expanded") == "false"
        button.focus()
        page.keyboard.press("Enter")
        assert button.get_attribute("aria-expanded") == "true"

        chat = page.frame_locator("#helpline-chat-panel iframe")
        chat.locator("#text:not([disabled])").wait_for(timeout=TIMEOUT_MS)
        text = "Bonjour, je vous écris depuis le site de l'association."
        chat.locator("#text").fill(text)
        chat.locator("#text").press("Enter")
        chat.locator("li.from-me", has_text=text).locator('.mark[data-state="sent"]').wait_for(
            timeout=TIMEOUT_MS
        )
        screenshot(page, "visitor-embed.png")

        # The chat asks its page to close it; the focus goes back to the button.
        chat.locator("#minimise").click()
        page.wait_for_function(
            "document.getElementById('helpline-chat-panel').hidden", timeout=TIMEOUT_MS
        )
        assert button.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.id") == "helpline-chat-button"

        # Quick exit inside the chat takes the partner page away too.
        button.click()
        chat.locator("#quick-exit").click()
        page.wait_for_url(f"{widget_helpline.url}/healthz", timeout=TIMEOUT_MS)
    finally:
        context.close()


def test_on_a_phone_the_embedded_chat_takes_the_whole_screen(widget_helpline, phone):
    page = phone.new_page()
    page.goto(f"{widget_helpline.partner_url}/index.html")
    button = page.locator("#helpline-chat-button")
    button.click()
    chat = page.frame_locator("#helpline-chat-panel iframe")
    chat.locator("#text:not([disabled])").wait_for(timeout=TIMEOUT_MS)
    box = page.locator("#helpline-chat-panel").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, *PHONE.values())
    assert not button.is_visible()  # it would cover the chat's own Send button
    frame = page.frame_locator("#helpline-chat-panel iframe").locator("html")
    assert frame.evaluate("(html) => html.scrollWidth <= html.clientWidth")

    chat.locator("#minimise").click()
    button.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.evaluate("document.activeElement.id") == "helpline-chat-button"


def test_shift_enter_makes_a_new_line_and_a_counter_appears_near_the_limit(widget_helpline, phone):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    focus_by_tab(page, "text")
    page.keyboard.type("Bonjour,")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("deux lignes")
    assert page.locator("#text").input_value() == "Bonjour,\ndeux lignes"
    assert page.locator("li.from-me").count() == 0
    assert page.locator("#counter").is_hidden()

    page.locator("#text").fill("a" * 7950)
    assert page.locator("#counter").inner_text() == "Caractères restants\u00a0: 50"
    assert page.locator("#counter").get_attribute("data-near") == "limit"
    page.locator("#text").fill("a" * 9000)  # pasted: the browser keeps the first 8,000
    assert len(page.locator("#text").input_value()) == 8000
    assert page.locator("#counter").inner_text() == "Caractères restants\u00a0: 0"
