"""The browser protocol client against a live helpline and the Python reference client.

A JS VisitorSession in Chromium talks with a Python StaffClient, and a Python
VisitorClient with a JS StaffSession holding the demo device's keys; messages go both
ways and are decrypted on both sides. The pages load nothing but our modules, through
import() under the helpline's strict CSP.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from chat.client import DeviceKeys, StaffClient, VisitorClient
from chat.client.http import staff_login as http_staff_login
from chat.crypto import suite1

pytestmark = pytest.mark.browser

WAIT_MS = 15000

START_VISITOR = """async ([fingerprint, language]) => {
  const { VisitorSession } = await import("/static/chat/protocol/visitor.js");
  const { hexDecode } = await import("/static/chat/crypto/index.js");
  window.received = [];
  window.statuses = [];
  window.errors = [];
  window.receipts = [];
  window.visitor = new VisitorSession({
    baseUrl: location.origin,
    adminFingerprint: hexDecode(fingerprint),
    language,
    onMessage: (m) => received.push({
      order: m.order, sender: m.sender, mine: m.mine, contentType: m.contentType,
      text: m.text, event: m.event,
    }),
    onStatus: (status) => statuses.push(status),
    onReceipt: (receipt) => receipts.push(receipt),
    onError: (error) => errors.push(`${error.name}: ${error.message}`),
  });
  await visitor.start();
}"""

# Makes `window.staff` (not started) with the demo device's keys imported as a staff
# page would: non-extractable CryptoKeyPairs.
MAKE_STAFF = """async ([device, label]) => {
  const { StaffSession } = await import("/static/chat/protocol/staff.js");
  const c = await import("/static/chat/crypto/index.js");
  window.received = [];
  window.statuses = [];
  window.errors = [];
  window.activity = [];
  window.staff = new StaffSession({
    baseUrl: location.origin,
    adminFingerprint: c.hexDecode(device.fingerprint),
    label,
    device: {
      deviceId: device.device_id,
      kemPair: await c.importKemPrivate(c.hexDecode(device.kem_sk), c.hexDecode(device.kem_pk)),
      sigPair: await c.importSigPrivate(c.hexDecode(device.sig_sk), c.hexDecode(device.sig_pk)),
    },
    onMessage: (m) => received.push({
      conversationId: m.conversationId, order: m.order, sender: m.sender, mine: m.mine,
      contentType: m.contentType, text: m.text, event: m.event,
    }),
    onStatus: (status) => statuses.push(status),
    onActivity: (item) => activity.push(item),
    onError: (error) => errors.push(`${error.name}: ${error.message}`),
  });
}"""


def received(page, count: int) -> list[dict]:
    """The page's first `count` decrypted messages, once it has them."""
    page.wait_for_function("n => window.received.length >= n", arg=count, timeout=WAIT_MS)
    return page.evaluate("window.received")[:count]


def no_errors(page) -> None:
    assert page.evaluate("window.errors") == []


def staff_login(context, helpline) -> None:
    """Sign the browser context in through /staff/login/.

    Through Django's login form over HTTP, with its session cookie then given to the
    browser: submitting the form in Chromium fails today, since the pages' referrer
    policy `no-referrer` makes Chromium send `Origin: null` with the POST, which
    Django's CSRF check refuses.
    """
    demo = helpline.demo
    cookie = http_staff_login(helpline.url, demo["username"], demo["password"], demo["totp_secret"])
    pairs = (part.split("=", 1) for part in cookie.split("; "))
    context.add_cookies([{"name": n, "value": v, "url": helpline.url} for n, v in pairs])


def device_secrets(helpline) -> dict:
    """The demo device's scalars and public keys, as a staff page would hold them."""
    keys = DeviceKeys.load(helpline.device_file)
    return {
        "device_id": keys.device_id,
        "kem_sk": suite1.private_scalar(keys.kem).hex(),
        "kem_pk": keys.kem_public.hex(),
        "sig_sk": suite1.private_scalar(keys.sig).hex(),
        "sig_pk": keys.sig_public.hex(),
        "fingerprint": helpline.demo["fingerprint"],
    }


@pytest.fixture
def python_staff(helpline, background):
    demo = helpline.demo
    staff = StaffClient.login(
        [helpline.url],
        username=demo["username"],
        password=demo["password"],
        totp_secret=demo["totp_secret"],
        device=DeviceKeys.load(helpline.device_file),
        admin_fingerprint=helpline.fingerprint,
    )
    background.run(staff.start())
    yield staff
    background.run(staff.stop())


@pytest.fixture
def sent_frames(page) -> list[str]:
    """Every websocket frame the page sends, recorded from the page's first socket on."""
    frames: list[str] = []

    def record(payload: str) -> None:  # Playwright wants a Python function, not a builtin
        frames.append(payload)

    page.on("websocket", lambda socket: socket.on("framesent", record))
    return frames


@pytest.fixture
def js_visitor(page, helpline, sent_frames):
    page.goto(helpline.url + "/healthz")
    page.evaluate(START_VISITOR, [helpline.demo["fingerprint"], "ro"])
    yield page
    page.evaluate("window.visitor.stop()")


@pytest.fixture
def js_staff(context, page, helpline, sent_frames):
    staff_login(context, helpline)
    page.goto(helpline.url + "/healthz")
    page.evaluate(MAKE_STAFF, [device_secrets(helpline), "Infirmière"])
    page.evaluate("staff.start()")
    yield page
    page.evaluate("window.staff.stop()")


# -- a visitor in the browser, staff in Python ------------------------------------------


def test_js_visitor_opens_lazily_and_talks_with_python_staff(
    js_visitor, python_staff, background, sent_frames
):
    page = js_visitor
    assert page.evaluate("window.visitor.conversationId") is None  # nothing opened yet

    long_text = "Am nevoie de ajutor. " * 250  # past the first padding buckets
    orders = page.evaluate(
        """async (texts) => {
          const orders = [];
          for (const text of texts) orders.push(await visitor.sendText(text));
          return orders;
        }""",
        ["Bună ziua, am nevoie de ajutor. Здравейте 你好 🙂", long_text],
    )
    conversation_id = page.evaluate("window.visitor.conversationId")
    assert orders == [2, 3]  # order 1 is the visitor's epoch-0 commit

    background.run(python_staff.subscribe(conversation_id))
    background.run(python_staff.wait_for_epoch(conversation_id))
    first = background.run(python_staff.receive())
    second = background.run(python_staff.receive())
    assert first.text == "Bună ziua, am nevoie de ajutor. Здравейте 你好 🙂"
    assert second.text == long_text
    assert (first.order, second.order, first.sender) == (2, 3, "visitor")

    for text in ("Bonjour, je suis infirmière.", "Vous pouvez m'écrire ici."):
        background.run(python_staff.send_text(conversation_id, text))
    replies = received(page, 2)
    assert [(r["text"], r["order"], r["mine"]) for r in replies] == [
        ("Bonjour, je suis infirmière.", 4, False),
        ("Vous pouvez m'écrire ici.", 5, False),
    ]
    assert {r["sender"] for r in replies} == {python_staff.device.device_id}

    page.evaluate("visitor.markRead(5)")
    background.run(wait_until(lambda: python_staff.receipts))
    receipt = python_staff.receipts[0]
    assert (receipt.kind, receipt.order, receipt.by) == ("read", 5, "visitor")
    assert page.evaluate("window.statuses") == ["connecting", "open"]
    no_errors(page)
    assert python_staff.failures == []
    # The heartbeat's pings may come first on a slow machine; what matters is the order
    # of the frames that open the conversation.
    types = [json.loads(frame)["type"] for frame in sent_frames]
    types = [kind for kind in types if kind != "ping"]
    assert types[:3] == ["conversation.open", "commit.submit", "envelope.send"]
    assert not any(word in frame for frame in sent_frames for word in ("Bună", "ajutor"))


def test_js_visitor_resumes_after_losing_its_socket(js_visitor, python_staff, background):
    page = js_visitor
    page.evaluate("visitor.sendText('Première question')")
    conversation_id = page.evaluate("window.visitor.conversationId")
    background.run(python_staff.subscribe(conversation_id))
    assert background.run(python_staff.receive()).text == "Première question"

    # The phone loses its connection; staff write meanwhile; the visitor writes too.
    page.evaluate(
        """() => {
          visitor.connection.close();
          window.whileAway = visitor.sendText("Écrit hors connexion");
        }"""
    )
    background.run(python_staff.send_text(conversation_id, "Réponse pendant la coupure"))
    assert received(page, 1)[0]["text"] == "Réponse pendant la coupure"
    assert page.evaluate("window.whileAway") == 4
    assert background.run(python_staff.receive()).text == "Écrit hors connexion"

    # Once more after the resume: the new socket carries the conversation on.
    page.evaluate("visitor.sendText('Merci')")
    assert background.run(python_staff.receive()).text == "Merci"
    statuses = page.evaluate("window.statuses")
    assert statuses[:2] == ["connecting", "open"]
    assert "reconnecting" in statuses and statuses[-1] == "open"
    no_errors(page)


def test_a_stored_visitor_state_resumes_the_conversation(js_visitor, python_staff, background):
    page = js_visitor
    page.evaluate(
        """async () => {
          window.persisted = [];
          visitor.callbacks.persist = (state) => persisted.push(state);
          await visitor.sendText("Avant de fermer l'onglet");
        }"""
    )
    conversation_id = page.evaluate("window.visitor.conversationId")
    background.run(python_staff.subscribe(conversation_id))
    assert background.run(python_staff.receive()).text == "Avant de fermer l'onglet"
    background.run(python_staff.send_text(conversation_id, "Je suis là."))
    received(page, 1)

    # "Stay signed in": the stored state (CryptoKeyPairs, as IndexedDB would keep them)
    # makes a new session that resumes from the start and can write on.
    replay = page.evaluate(
        """async () => {
          const [state] = persisted;
          visitor.stop();
          window.received = [];
          const { VisitorSession } = await import("/static/chat/protocol/visitor.js");
          window.visitor = VisitorSession.fromState(state, {
            baseUrl: location.origin,
            adminFingerprint: visitor.adminFingerprint,
            onMessage: (m) => received.push({ text: m.text, mine: m.mine, order: m.order }),
            onError: (error) => errors.push(`${error.name}: ${error.message}`),
          });
          await visitor.start();
          await visitor.until(() => received.length >= 2);
          return { received, extractable: state.kemPair.privateKey.extractable,
                   sameConversation: visitor.conversationId === state.conversationId };
        }"""
    )
    assert replay["received"] == [
        {"text": "Avant de fermer l'onglet", "mine": True, "order": 2},
        {"text": "Je suis là.", "mine": False, "order": 3},
    ]
    # Extractable since issue 7: a return code seals them (docs/protocol.md §10).
    assert replay["sameConversation"] and replay["extractable"] is True
    assert page.evaluate("visitor.sendText('De retour')") == 4
    assert background.run(python_staff.receive()).text == "De retour"
    no_errors(page)


# Long enough that forty of them pass several backlog pages (CHAT_SYNC_PAGE_BYTES).
LONG_REPLY = "Voici les adresses et les horaires du dépistage gratuit. " * 140
LONG_REPLIES = 40


def test_a_js_visitor_reads_a_long_backlog_page_by_page(js_visitor, python_staff, background):
    """A stored state resumes from the start a conversation of forty long replies: the
    backlog comes in pages (`sync.done` with `more`) and the browser asks for each next
    one until it has them all, in order."""
    page = js_visitor
    frames: list[dict] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda payload: frames.append(json.loads(payload))
        ),
    )
    page.evaluate(
        """async () => {
          window.persisted = [];
          visitor.callbacks.persist = (state) => persisted.push(state);
          await visitor.sendText("Bonjour");
        }"""
    )
    conversation_id = page.evaluate("window.visitor.conversationId")
    background.run(python_staff.subscribe(conversation_id))
    background.run(python_staff.receive())
    for number in range(LONG_REPLIES):
        background.run(python_staff.send_text(conversation_id, f"{number} {LONG_REPLY}"))
    replay = page.evaluate(
        """async (count) => {
          const [state] = persisted;
          visitor.stop();
          window.received = [];
          const { VisitorSession } = await import("/static/chat/protocol/visitor.js");
          window.visitor = VisitorSession.fromState(state, {
            baseUrl: location.origin,
            adminFingerprint: visitor.adminFingerprint,
            onMessage: (m) => received.push({ text: m.text.slice(0, 3), order: m.order }),
            onError: (error) => errors.push(`${error.name}: ${error.message}`),
          });
          await visitor.start();
          await visitor.until(() => received.length >= count + 1, { timeoutMs: 30000 });
          return received;
        }""",
        LONG_REPLIES,
    )
    assert [message["order"] for message in replay] == list(range(2, LONG_REPLIES + 3))
    assert [message["text"].split()[0] for message in replay[1:]] == [
        str(number) for number in range(LONG_REPLIES)
    ]

    def pages() -> list[bool]:
        return [frame.get("more", False) for frame in frames if frame["type"] == "sync.done"]

    for _ in range(100):  # the last page's sync.done comes after its messages
        if pages() and pages()[-1] is False:
            break
        page.wait_for_timeout(100)
    assert pages().count(True) >= 2 and pages()[-1] is False
    no_errors(page)


def test_js_visitor_refuses_an_admin_key_it_did_not_pin(page, helpline):
    page.goto(helpline.url + "/healthz")
    page.evaluate(START_VISITOR, ["00" * 32, "fr"])
    outcome = page.evaluate(
        """async () => {
          try { await visitor.sendText("Bonjour"); return "sent"; }
          catch (error) { return error.name; }
        }"""
    )
    assert outcome == "BadObject"
    assert page.evaluate("window.visitor.status") == "closed"
    assert page.evaluate("window.visitor.token") is None


# -- staff in the browser, a visitor in Python ------------------------------------------


def test_python_visitor_talks_with_js_staff(js_staff, helpline, background, sent_frames):
    page = js_staff
    visitor = VisitorClient([helpline.url], admin_fingerprint=helpline.fingerprint, language="bg")
    background.run(visitor.start())
    try:
        conversation_id = visitor.conversation_id
        background.run(visitor.say("Здравейте, имам нужда от помощ."))
        listed = page.evaluate("staff.listConversations()")
        assert conversation_id in [c["conversation_id"] for c in listed]

        state = page.evaluate("id => staff.subscribe(id)", conversation_id)
        assert (state["conversation_id"], state["language"]) == (conversation_id, "bg")
        first = received(page, 1)[0]
        assert (first["text"], first["sender"], first["order"]) == (
            "Здравейте, имам нужда от помощ.",
            "visitor",
            2,
        )

        page.evaluate("id => staff.sendText(id, 'Bonjour, je vous écoute.')", conversation_id)
        page.evaluate("id => staff.sendText(id, 'Vous êtes en sécurité ?')", conversation_id)
        profile = background.run(visitor.receive())
        assert profile.content_type == "event"
        assert profile.content == '{"kind":"profile","label":"Infirmière"}'.encode()
        assert background.run(visitor.receive()).text == "Bonjour, je vous écoute."
        assert background.run(visitor.receive()).text == "Vous êtes en sécurité ?"

        background.run(visitor.say("Да, благодаря."))
        assert received(page, 2)[1]["text"] == "Да, благодаря."
        page.evaluate("id => staff.markRead(id, 6)", conversation_id)
        background.run(wait_until(lambda: visitor.receipts))
        assert (visitor.receipts[0].kind, visitor.receipts[0].by) == ("read", "staff")
        assert visitor.failures == []
        sent = " ".join(sent_frames)
        assert "écoute" not in sent and "Infirmière" not in sent and "sécurité" not in sent
    finally:
        background.run(visitor.stop())
    # Dashboard news come once per interval (chat/news.py), so they may follow the rest.
    page.wait_for_function(
        """id => window.activity.some((a) => a.conversationId === id && a.event === "message")""",
        arg=conversation_id,
        timeout=15_000,
    )
    events = page.evaluate("window.activity.map((a) => [a.conversationId, a.event])")
    assert [conversation_id, "opened"] in events
    no_errors(page)


def test_js_staff_without_a_session_is_refused(page, helpline):
    page.goto(helpline.url + "/healthz")
    page.evaluate(MAKE_STAFF, [device_secrets(helpline), None])
    outcome = page.evaluate(
        """async () => {
          try { await staff.start(); return "started"; }
          catch (error) { return [error.name, error.closeCode, staff.status]; }
        }"""
    )
    assert outcome == ["ConnectionLost", 4401, "closed"]


# -- both sides in the browser ------------------------------------------------------------


def test_js_visitor_talks_with_js_staff(js_staff, context, helpline):
    staff_page = js_staff
    visitor_page = context.browser.new_context().new_page()
    try:
        visitor_page.goto(helpline.url + "/healthz")
        visitor_page.evaluate(START_VISITOR, [helpline.demo["fingerprint"], "es"])
        visitor_page.evaluate("visitor.sendText('Hola, necesito ayuda.')")
        conversation_id = visitor_page.evaluate("window.visitor.conversationId")

        staff_page.evaluate("id => staff.subscribe(id)", conversation_id)
        assert received(staff_page, 1)[0]["text"] == "Hola, necesito ayuda."
        staff_page.evaluate("id => staff.sendText(id, 'Hola, le escucho.')", conversation_id)

        profile, text = received(visitor_page, 2)
        assert profile["contentType"] == "event"
        assert profile["event"] == {"kind": "profile", "label": "Infirmière"}
        assert text["text"] == "Hola, le escucho."
        visitor_page.evaluate("visitor.markDelivered(4)")
        no_errors(visitor_page)
        no_errors(staff_page)
    finally:
        visitor_page.evaluate("window.visitor.stop()")
        visitor_page.context.close()


async def wait_until(predicate, timeout: float = 10) -> None:
    """Poll a condition of a Python client from its own loop."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)
