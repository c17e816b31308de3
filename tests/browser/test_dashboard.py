"""The shift dashboard in real browsers, on a realistic shift.

A live helpline (`manage.py serve --jobs`, the demo seeded: a one-off shift open now with
the demo account — a nurse who coordinates —, Camille and Léa; Samir is added through the
rota API). Léa and Samir are at their dashboards as Python reference clients (Samir set
himself "busy" through the API); the demo account and Camille use real browsers.
Visitors (Python reference clients) write in Bulgarian, Romanian, English (through a
campaign for young people: "minors"), Russian, French, Spanish and Chinese; Léa takes
two conversations and hands the Russian one back to the queue with a note she sealed to
the team key in Python.

What is checked: the queue (best match first, waiting times, "handed over", skill),
claims from the page, the claim race between two browsers (one gets it, the other is
told), unread counts, colleagues' presence and load, my presence switch seen by a
colleague, transfer to a colleague with a note sealed in one browser and opened in the
other, the Python-sealed note opened in the browser, the end-of-shift reminder and a
hand-over note written from it (opened again in Python with the team key), keyboard
shortcuts, the sound and the browser notification (which never carry message content),
and that nothing typed leaves a browser in clear.

Screenshot: tests/browser/screenshots/dashboard.png (1280×800), and dashboard-1024.png.
The notes' known answers (docs/protocol.md §6.4) are checked first, in Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.client import VisitorClient
from chat.crypto import suite1
from chat.crypto.encoding import b64decode, b64encode, label, lps, u8, u32
from tests.browser.conftest import helpline_env
from tests.browser.pages import Watched
from tests.browser.shift_setup import (
    HelplineClock,
    StaffApi,
    browser_certify,
    colleague_client,
    passwords_set,
    shell,
)
from tests.staff_sign_in import browser_sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VECTORS = json.loads((FIXTURES / "protocol_v1_vectors.json").read_text(encoding="utf-8"))
DESKTOP = {"width": 1280, "height": 800}
JOB_WAIT_MS = 45_000  # the shift job runs every 30 s
OPEN_NOW = "Permanence de démonstration"  # ops/demo.py

VISITORS = {
    "bg": "Здравейте, искам да говоря с някого. Може ли на български?",
    "ro": "Bună ziua, am nevoie de un test HIV. Unde pot merge?",
    "en": "hi im 16 and i dont know who to ask about this",
    "ru": "Здравствуйте, мне нужна помощь с документами и с жильём.",
    "fr": "Bonjour, j'ai eu un rapport sans préservatif samedi, est-ce trop tard ?",
    "es": "Hola, ¿puedo hacerme la prueba sin papeles?",
    "zh": "你好，我想问一下怎么预约检测。",
}
NURSE_ANSWER = "Bonjour, non, pas trop tard : le TPE se prend dans les 48 heures. Vous êtes où ?"
VISITOR_AGAIN = "Je suis à Saint-Denis. Je peux venir demain ?"
LEA_NOTE = "Перевод: elle cherche un hébergement d'urgence, rappeler le 115 avec elle."
TRANSFER_NOTE = "Camille, elle préfère parler avec une paire. Rapport samedi : TPE à proposer."
HANDOVER_NOTE = "Relais : l'Espagnole vient demain au CeGIDD à 9 h, sans papiers, c'est OK."

# Records what would have been shown or played, instead of showing it: every
# Notification (title and options) and every tone started. The page is "in the
# background" for notifications (hasFocus false) so they are created.
ALERT_RECORDER = """
window.__notifications = [];
window.__tones = 0;
class RecordedNotification {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options = {}) {
    window.__notifications.push({ title, options: JSON.parse(JSON.stringify(options)) });
  }
  close() {}
}
window.Notification = RecordedNotification;
document.hasFocus = () => false;
const RealAudioContext = window.AudioContext;
window.AudioContext = class extends RealAudioContext {
  createOscillator() { window.__tones += 1; return super.createOscillator(); }
};
"""


# -- the notes' known answers, in Chromium ---------------------------------------------------

NOTE_CONVERSATION = "0b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f"
# str("helpline/v1 note") ‖ u8(1) ‖ str(conversation_id) ‖ u32(3), from docs/protocol.md §6.4
NOTE_INFO_HEX = (
    "00000010"
    + b"helpline/v1 note".hex()
    + "01"
    + "00000024"
    + NOTE_CONVERSATION.encode().hex()
    + "00000003"
)


def test_notes_seal_and_open_as_the_protocol_says(page, helpline):
    """noteSeal/noteOpen (chat/static/chat/crypto/notes.js) against docs/protocol.md
    §6.4: the exact `info` bytes; a note sealed by Python's `cryptography` opens in the
    browser; a note sealed in the browser opens in Python; the wrong conversation,
    version or key does not open."""
    team = VECTORS["keys"]["team"]
    info = label("note") + u8(1) + lps(NOTE_CONVERSATION) + u32(3)
    assert info.hex() == NOTE_INFO_HEX
    text = "Relais : elle revient demain à 14 h. Пароль не нужен. 谢谢"
    sealed_in_python = suite1.hpke_seal(bytes.fromhex(team["pk"]), info, text.encode())
    page.goto(helpline.url + "/healthz")
    result = page.evaluate(
        """async ({ team, conversation, sealed, text }) => {
          const crypto = await import("/static/chat/crypto/index.js");
          const notes = await import("/static/chat/crypto/notes.js");
          const hex = (await import("/static/chat/crypto/encoding.js")).hexDecode;
          const teamPair = await crypto.importKemPrivate(hex(team.sk), hex(team.pk));
          const open = (note, conversationId, teamKeyVersion, pair = teamPair) =>
            crypto.noteOpen(note, { conversationId, teamKeyVersion, teamPair: pair })
              .catch((error) => error.name);
          const mine = await crypto.noteSeal(text, {
            conversationId: conversation, teamKeyVersion: 3, teamPk: hex(team.pk),
          });
          const other = await crypto.generateKemKeyPair();
          const tooLong = await crypto.noteSeal("é".repeat(2001), {
            conversationId: conversation, teamKeyVersion: 3, teamPk: hex(team.pk),
          }).catch((error) => error.name);
          return {
            info: crypto.hexEncode(
              notes.noteInfo({ conversationId: conversation, teamKeyVersion: 3 }),
            ),
            opened: await open(crypto.b64decode(sealed), conversation, 3),
            mine: crypto.b64encode(mine),
            ownOpened: await open(mine, conversation, 3),
            otherConversation: await open(mine, "1b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f", 3),
            otherVersion: await open(mine, conversation, 4),
            otherKey: await open(mine, conversation, 3, other),
            tooLong,
          };
        }""",
        {
            "team": team,
            "conversation": NOTE_CONVERSATION,
            "sealed": b64encode(sealed_in_python),
            "text": text,
        },
    )
    assert result["info"] == NOTE_INFO_HEX
    assert result["opened"] == text
    assert result["ownOpened"] == text
    team_key = suite1.private_key_from_scalar(bytes.fromhex(team["sk"]))
    assert suite1.hpke_open(team_key, info, b64decode(result["mine"])).decode() == text
    assert len(b64decode(result["mine"])) == 65 + len(text.encode()) + 16
    assert result["otherConversation"] == "BadCiphertext"
    assert result["otherVersion"] == "BadCiphertext"
    assert result["otherKey"] == "BadCiphertext"
    assert result["tooLong"] == "BadObject"


# -- a live helpline on a realistic shift --------------------------------------------------


class ShiftHelpline:
    def __init__(self, served: Any, env: dict[str, str], data_dir: Path) -> None:
        self.served = served
        self.env = env
        self.data_dir = data_dir
        self.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
        self.clock = HelplineClock(data_dir / "clock")

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def fingerprint(self) -> bytes:
        return bytes.fromhex(self.demo["fingerprint"])


CAMPAIGN_MINORS = """
from django.utils import timezone
from ops.models import Campaign
Campaign.objects.create(code="jeunes-college", name="Collèges (jeunes)", skill="minors",
                        created_at=timezone.now())
"""


@pytest.fixture
def shift_helpline(serve, embedded_env, seeded_template, tmp_path) -> ShiftHelpline:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = {
        **helpline_env(embedded_env, data_dir),
        "HELPLINE_TEST_CLOCK_FILE": str(data_dir / "clock"),
    }
    (data_dir / "clock").write_text("0\n")
    passwords_set(env, ["camille", "lea", "samir"])
    shell(env, CAMPAIGN_MINORS)
    return ShiftHelpline(serve(env, "--jobs"), env, data_dir)


class Visitors:
    """Python visitors, one conversation each, by language."""

    def __init__(self, helpline: ShiftHelpline, background: Any) -> None:
        self.helpline = helpline
        self.background = background
        self.clients: dict[str, VisitorClient] = {}

    def write(self, language: str, text: str, campaign: str | None = None) -> str:
        client = self.clients.get(language)
        if client is None:
            client = VisitorClient(
                [self.helpline.url],
                admin_fingerprint=self.helpline.fingerprint,
                language=language,
                campaign=campaign,
            )
            self.background.run(client.start())
            self.clients[language] = client
        self.background.run(client.say(text))
        return client.conversation_id

    def receive(self, language: str, text: str) -> None:
        client = self.clients[language]

        async def wait() -> None:
            while True:
                message = await client.messages.get()
                if message.content_type == "text" and message.text == text:
                    return

        self.background.run(wait(), timeout=20)

    def stop(self) -> None:
        for client in self.clients.values():
            self.background.run(client.stop())


@pytest.fixture
def visitors(shift_helpline, background) -> Iterator[Visitors]:
    made = Visitors(shift_helpline, background)
    yield made
    made.stop()


@pytest.fixture
def colleagues(shift_helpline, background, tmp_path) -> Iterator[dict[str, Any]]:
    """Léa's and Samir's dashboards, as reference clients (stopped at the end)."""
    helpline = shift_helpline
    clients = {
        name: colleague_client(helpline.env, helpline.url, name, tmp_path, helpline.fingerprint)
        for name in ("lea", "samir")
    }
    for client in clients.values():
        background.run(client.start())
    yield clients
    for client in clients.values():
        background.run(client.stop())


@pytest.fixture
def browsers(browser) -> Iterator[dict[str, Watched]]:
    opened = {"nurse": Watched(browser), "camille": Watched(browser)}
    opened["nurse"].context.add_init_script(ALERT_RECORDER)
    yield opened
    for watched in opened.values():
        watched.close()


def dashboard_open(
    watched: Watched,
    helpline: ShiftHelpline,
    username: str,
    password: str,
    totp_secret: str | None = None,
) -> Any:
    """Sign in, certify this browser (as demo_certify does), wait for the dashboard."""
    page = watched.page
    page.goto(helpline.url + "/staff/")
    browser_sign_in(page, username, password, totp_secret)
    page.wait_for_selector("#gate-pending", state="visible")
    browser_certify(helpline.env, username)
    page.click("#check-again")
    page.wait_for_selector("#connection-status[data-status='open']")
    page.wait_for_selector("#presence:not([disabled])")
    return page


def entry(page: Any, conversation_id: str) -> Any:
    return page.locator(f"#queue-list .queue-entry[data-conversation-id='{conversation_id}']")


def mine(page: Any, conversation_id: str) -> Any:
    return page.locator(
        f"#conversation-list .conversation-item[data-conversation-id='{conversation_id}']"
    )


def colleague(page: Any, name: str) -> Any:
    return page.locator("#colleague-list .colleague", has_text=name)


def real_errors(watched: Watched) -> list[str]:
    """Console errors, but for HTTP refusals the test provokes on purpose (Chromium logs
    every HTTP error answer, such as the 409 of the claim that lost the race)."""
    return [e for e in watched.errors if "Failed to load resource" not in e]


def note_info(conversation_id: str, version: int) -> bytes:
    return label("note") + u8(1) + lps(conversation_id) + u32(version)


def test_a_shift_on_the_dashboard(shift_helpline, browsers, visitors, colleagues):
    helpline = shift_helpline
    coordinator = StaffApi(
        helpline.url, "demo", helpline.demo["password"], helpline.demo["totp_secret"]
    )
    staff = {m["name"]: m["user_id"] for m in coordinator.ok("GET", "/staff")["staff"]}

    # The shift open now is the one that counts (no weekly slot carries it on), and
    # Samir joins it: the coordinator's rota API.
    for slot in coordinator.ok("GET", "/rota/slots")["slots"]:
        coordinator.ok("DELETE", f"/rota/slots/{slot['id']}")
    open_now = next(
        s for s in coordinator.ok("GET", "/rota/shifts")["shifts"] if s["label"] == OPEN_NOW
    )
    coordinator.ok(
        "PATCH", f"/rota/shifts/{open_now['id']}", {"staff": [*open_now["staff"], staff["samir"]]}
    )

    # Léa and Samir are at their dashboards (reference clients); Samir is busy.
    lea = colleagues["lea"]
    lea_api, samir_api = StaffApi(helpline.url, "lea"), StaffApi(helpline.url, "samir")
    samir_api.ok("POST", "/presence", {"presence": "busy"})

    # Visitors wrote a while ago (the test clock puts the helpline in the past meanwhile,
    # so the queue shows real waiting times); Léa takes two and hands the Russian one
    # back to the queue with a note she sealed to the team key (in Python).
    ids = {}
    for minutes_ago, language in [(41, "zh"), (38, "ru"), (23, "bg"), (9, "ro")]:
        helpline.clock.set(-minutes_ago * 60)
        ids[language] = visitors.write(language, VISITORS[language])
    helpline.clock.set(0)
    for language in ["zh", "ru"]:
        lea_api.ok("POST", f"/routes/{ids[language]}/claim")
    version, (announcement, _) = max(lea.team_keys.items())
    sealed = suite1.hpke_seal(announcement.pk, note_info(ids["ru"], version), LEA_NOTE.encode())
    lea_api.ok(
        "POST",
        f"/routes/{ids['ru']}/transfer",
        {"to_user_id": None, "note": {"ct": b64encode(sealed), "team_key_version": version}},
    )

    # The nurse's browser opens the dashboard: the shift, the team, the queue.
    nurse = browsers["nurse"]
    page = dashboard_open(
        nurse, helpline, "demo", helpline.demo["password"], helpline.demo["totp_secret"]
    )
    page.wait_for_selector("#shift-line[data-open='mine']")
    assert OPEN_NOW in page.inner_text("#shift-line")
    assert re.search(r"Fin à \d\d:00, dans \d h \d\d", page.inner_text("#shift-remaining"))
    colleague(page, "samir").wait_for()
    assert colleague(page, "lea").get_attribute("data-presence") == "available"
    assert colleague(page, "lea").locator(".colleague-load").inner_text().startswith("1/3")
    assert colleague(page, "samir").get_attribute("data-presence") == "busy"
    assert colleague(page, "camille").get_attribute("data-presence") == "away"
    handed = entry(page, ids["ru"])
    handed.wait_for()
    assert handed.locator(".tag-handed").inner_text() == "relais"

    # New conversations arrive live: sound, and a notification with the language only.
    page.click("#sound-on")  # a gesture lets the page play sound (turned off, then on)
    page.click("#sound-on")
    for language, campaign in [("en", "jeunes-college"), ("fr", None), ("es", None)]:
        ids[language] = visitors.write(language, VISITORS[language], campaign)
        entry(page, ids[language]).wait_for()
    titles = page.evaluate("() => window.__notifications.map((n) => n.title)")
    assert titles == [
        "Nouvelle conversation (Anglais)",
        "Nouvelle conversation (Français)",
        "Nouvelle conversation (Espagnol)",
    ]
    notified = json.dumps(page.evaluate("() => window.__notifications"), ensure_ascii=False)
    for text in VISITORS.values():
        assert text not in notified and text[:12] not in notified
    assert page.evaluate("() => window.__tones") >= 2
    assert entry(page, ids["en"]).locator(".tag-skill").inner_text() == "mineur·es"
    # Best match first: French and English (her languages) before the others; among
    # them the conversation asking for no skill before the one asking for one she lacks.
    order = [
        item.get_attribute("data-conversation-id")
        for item in page.locator("#queue-list .queue-entry").all()
    ]
    assert order == [ids["fr"], ids["en"], ids["ru"], ids["bg"], ids["ro"], ids["es"]]
    # Handed back to the queue, the Russian conversation kept its place and its wait.
    assert entry(page, ids["ru"]).locator(".when").inner_text() == "attend depuis 38 min"

    # Camille's browser: the nurse is on shift with her.
    camille = browsers["camille"]
    other = dashboard_open(camille, helpline, "camille", "correct horse battery staple")
    colleague(other, "demo").wait_for()
    assert colleague(other, "demo").get_attribute("data-presence") == "available"

    # The nurse takes the French and the Spanish conversations and answers one.
    entry(page, ids["fr"]).locator(".claim").click()
    mine(page, ids["fr"]).wait_for()
    page.locator(".message-visitor .bubble", has_text=VISITORS["fr"]).wait_for()
    page.fill("#composer-text", NURSE_ANSWER)
    page.press("#composer-text", "Control+Enter")
    visitors.receive("fr", NURSE_ANSWER)
    visitors.write("fr", VISITOR_AGAIN)
    page.locator(".message-visitor .bubble", has_text=VISITOR_AGAIN).wait_for()
    entry(page, ids["es"]).locator(".claim").click()
    mine(page, ids["es"]).wait_for()
    # Back to the French one: the Spanish one shows its unread message in the list.
    mine(page, ids["fr"]).click()
    assert mine(page, ids["es"]).locator(".unread").count() == 0  # read when it was opened
    visitors.write("es", "¿Y es gratis?")
    mine(page, ids["es"]).locator(".unread [aria-hidden]").wait_for()
    assert mine(page, ids["es"]).locator(".unread [aria-hidden]").inner_text() == "1"
    colleague(other, "demo").locator(".colleague-load", has_text="2/4").wait_for()

    # The screenshot: a realistic shift, the French conversation open.
    page.locator("#composer-text").blur()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.screenshot(path=str(SCREENSHOTS / "dashboard-1024.png"))
    page.set_viewport_size(DESKTOP)

    # The handed-over conversation opens on Léa's note, sealed in Python, opened here.
    entry(page, ids["ru"]).locator(".conversation-item").click()
    page.wait_for_selector("#tab-notes[aria-expanded='true']")
    note = page.locator("#notes-list .note").first
    assert note.locator(".note-text").inner_text() == LEA_NOTE
    assert "Note de transfert · lea" in note.locator(".note-meta").inner_text()
    assert page.is_visible("#conversation-claim")

    # My presence, as a colleague sees it.
    page.click(".presence-option[data-presence='busy']")
    colleague(other, "demo").and_(other.locator("[data-presence='busy']")).wait_for()
    page.click(".presence-option[data-presence='available']")
    colleague(other, "demo").and_(other.locator("[data-presence='available']")).wait_for()

    # The claim race: both browsers press Claim on the Bulgarian conversation at once.
    entry(other, ids["bg"]).wait_for()
    buttons = [
        tab.locator(f".queue-entry[data-conversation-id='{ids['bg']}'] .claim").element_handle()
        for tab in (page, other)
    ]
    for button in buttons:
        button.evaluate("button => button.click()")
    for tab in (page, other):
        tab.wait_for_function(
            """id => document.querySelector(`#conversation-list [data-conversation-id='${id}']`)
                 || !document.querySelector('#dashboard-notice').hidden""",
            arg=ids["bg"],
        )
    winners = [tab for tab in (page, other) if mine(tab, ids["bg"]).count() == 1]
    losers = [tab for tab in (page, other) if tab not in winners]
    assert len(winners) == 1 and len(losers) == 1
    assert "Un·e collègue a pris cette conversation avant vous." in losers[0].inner_text(
        "#dashboard-notice"
    )
    losers[0].wait_for_function(
        "id => !document.querySelector(`#queue-list [data-conversation-id='${id}']`)", arg=ids["bg"]
    )

    # Transfer with a note: from the nurse's browser to Camille's, sealed in one, opened in
    # the other. Camille is told a conversation was given to her.
    mine(page, ids["fr"]).click()
    page.click("#conversation-transfer")
    page.wait_for_selector("#transfer-dialog[open]")
    page.check(f"#transfer-to-{staff['camille']}")
    page.fill("#transfer-note", TRANSFER_NOTE)
    page.click("#transfer-submit")
    page.wait_for_selector("#transfer-dialog", state="hidden")
    mine(other, ids["fr"]).wait_for()
    other.wait_for_function(
        "() => document.querySelector('#queue-live').textContent"
        ".includes('Une conversation vous a été confiée (Français)')"
    )
    mine(other, ids["fr"]).click()
    # Handed over with a note: the conversation opens on it.
    other.wait_for_selector("#notes:not([hidden]) #notes-list .note")
    assert other.locator("#notes-list .note-text").first.inner_text() == TRANSFER_NOTE
    assert mine(page, ids["fr"]).count() == 0

    # Keyboard: "?" lists the shortcuts, j moves in the lists, c claims the first waiting.
    page.locator("#conversation-title").focus()
    page.keyboard.press("?")
    page.wait_for_selector("#shortcuts-dialog[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#shortcuts-dialog", state="hidden")
    page.locator("#conversation-title").focus()
    page.keyboard.press("j")
    first = page.locator("#queue-list .conversation-item").first
    assert first.evaluate("item => item === document.activeElement")
    waiting_first = first.get_attribute("data-conversation-id")
    # The lists are redrawn on every event; the keyboard focus stays where it was.
    visitors.write("ru", "Вы здесь?")
    entry(page, ids["ru"]).locator(".unread [aria-hidden]", has_text="1").wait_for()
    assert page.evaluate("() => document.activeElement.dataset.conversationId") == waiting_first
    page.keyboard.press("c")
    mine(page, waiting_first).wait_for()

    # The end of the shift nears: the reminder asks for hand-over notes.
    helpline.clock.move_to(open_now_end(coordinator) - 10 * 60)
    page.wait_for_selector("#reminder:not([hidden])", timeout=JOB_WAIT_MS)
    assert re.search(r"se termine dans 1\d min", page.inner_text("#reminder-text"))
    page.click("#reminder-notes")
    assert page.evaluate("() => document.activeElement.id") == "note-text"
    noted = page.locator("#conversation-list .conversation-item[aria-current='true']")
    noted_id = noted.get_attribute("data-conversation-id")
    page.fill("#note-text", HANDOVER_NOTE)
    page.click("#note-save")
    page.locator("#notes-list .note-text", has_text=HANDOVER_NOTE).wait_for()
    # Stored sealed: Léa's reference client opens it with the team key.
    stored = lea_api.ok("GET", f"/routes/{noted_id}/notes")["notes"][-1]
    assert stored["kind"] == "handover"
    team_key = lea.team_keys[stored["team_key_version"]][1]
    opened = suite1.hpke_open(
        team_key, note_info(noted_id, stored["team_key_version"]), b64decode(stored["ct"])
    )
    assert opened.decode() == HANDOVER_NOTE

    # Nothing typed — messages, notes — left either browser in clear.
    for watched in browsers.values():
        for text in [*VISITORS.values(), NURSE_ANSWER, VISITOR_AGAIN, TRANSFER_NOTE, HANDOVER_NOTE]:
            assert not watched.sent_contains(text)
    assert nurse.sent_contains('"ct"')  # the notes did leave, sealed
    assert real_errors(nurse) == []
    assert real_errors(camille) == []


def open_now_end(api: StaffApi) -> float:
    """When the demo's shift open now ends (Unix seconds), from the dashboard API."""
    state = api.ok("GET", "/dashboard")
    return next(s["ends_at"] for s in state["shifts"] if s["label"] == OPEN_NOW)


# -- the rota page ------------------------------------------------------------------------------


def test_the_coordinator_edits_the_rota_and_refusals_show_by_their_fields(helpline, browser):
    """The rota page through its forms: a slot the API refuses (it starts and ends at the
    same time) says so next to its end; fixed, it is added, changed and deleted; an
    overnight shift says it ends the next day; a closure ending before it starts and a
    language code that is not one are refused next to their fields."""
    coordinator = Watched(browser)
    page = coordinator.page
    try:
        page.goto(helpline.url + "/staff/login/")
        browser_sign_in(page, "demo", helpline.demo["password"], helpline.demo["totp_secret"])
        page.wait_for_url(re.compile(r"/staff/$"))
        page.click("a[href='/staff/rota/']")
        page.wait_for_selector("#rota[aria-busy='false']")
        assert page.locator("#slots-body tr", has_text="Permanence jeunes").count() == 1
        assert page.locator("#closures-body tr").count() >= 5  # public holidays
        page.on("dialog", lambda dialog: dialog.accept())

        # Refused by the API: the message goes next to the field it is about.
        page.select_option("#slot-weekday", "5")
        page.fill("#slot-start", "10:00")
        page.fill("#slot-end", "10:00")
        page.fill("#slot-label", "Maraude du samedi")
        page.check("#slot-form .staff-choice:has-text('camille') input")
        page.click("#slot-form button[type=submit]")
        page.wait_for_selector("#slot-end-error:not([hidden])")
        assert "différente du début" in page.inner_text("#slot-end-error")
        assert page.get_attribute("#slot-end", "aria-invalid") == "true"
        assert page.evaluate("() => document.activeElement.id") == "slot-end"

        # Fixed: added; changed; deleted.
        page.fill("#slot-end", "13:00")
        page.click("#slot-form button[type=submit]")
        row = page.locator("#slots-body tr", has_text="Maraude du samedi")
        row.wait_for()
        assert "Samedi" in row.inner_text() and "10:00–13:00" in row.inner_text()
        assert "camille" in row.inner_text()
        assert page.is_hidden("#slot-end-error")
        row.get_by_role("button", name=re.compile("^Modifier")).click()
        assert page.input_value("#slot-label") == "Maraude du samedi"
        page.fill("#slot-label", "Maraude numérique du samedi")
        page.click("#slot-form button[type=submit]")
        page.locator("#slots-body tr", has_text="Maraude numérique du samedi").wait_for()
        page.locator("#slots-body tr", has_text="Maraude numérique du samedi").get_by_role(
            "button", name=re.compile("^Supprimer")
        ).click()
        page.wait_for_function(
            "() => ![...document.querySelectorAll('#slots-body tr')]"
            ".some((row) => row.textContent.includes('Maraude numérique'))"
        )

        # An overnight one-off shift ends the next day.
        page.fill("#shift-date", "2031-06-14")
        page.fill("#shift-start", "20:00")
        page.fill("#shift-end", "02:00")
        page.fill("#shift-label", "Nuit de la fête de la musique")
        page.select_option("#shift-skill", "health")
        page.click("#shift-form button[type=submit]")
        night = page.locator("#shifts-body tr", has_text="Nuit de la fête")
        night.wait_for()
        assert "20:00–02:00 (lendemain)" in night.inner_text()
        assert "santé" in night.inner_text()
        assert "personne" in night.inner_text()  # nobody on it yet: it opens nothing
        said = page.locator("#rota-status.notice-warn").inner_text()
        assert said.startswith("Permanence ponctuelle enregistrée : Nuit de la fête de la musique")
        assert "Personne n’y est : elle n’ouvre rien" in said

        # A closure that ends before it starts.
        page.fill("#closure-start_date", "2031-08-10")
        page.fill("#closure-end_date", "2031-08-01")
        page.fill("#closure-reason", "Fermeture d'été")
        page.click("#closure-form button[type=submit]")
        page.wait_for_selector("#closure-end_date-error:not([hidden])")
        assert "postérieur au premier" in page.inner_text("#closure-end_date-error")

        # A language code that is not one, then a good one.
        camille_row = page.locator("#staff-body tr", has_text="camille")
        camille_row.locator("input[type=text]").fill("fr, ro, bg, roumain")
        camille_row.get_by_role("button").click()
        camille_row.locator(".field-error:not([hidden])").wait_for()
        assert "Codes de langue" in camille_row.locator(".field-error").inner_text()
        camille_row.locator("input[type=text]").fill("fr, ro, bg, ru")
        camille_row.locator("input[type=number]").fill("5")
        camille_row.get_by_role("button").click()
        page.wait_for_selector("#rota-status.notice-ok")
        said = page.inner_text("#rota-status")
        assert said.startswith("camille enregistré·e : langues fr, ro, bg, ru ;"), said
        assert "jusqu’à 5 conversations" in said
        camille_row = page.locator("#staff-body tr", has_text="camille")
        assert camille_row.locator("input[type=text]").input_value() == "fr, ro, bg, ru"
        assert camille_row.locator("input[type=number]").input_value() == "5"
        page.screenshot(path=str(SCREENSHOTS / "rota.png"), full_page=True)
        assert real_errors(coordinator) == []
    finally:
        coordinator.close()
