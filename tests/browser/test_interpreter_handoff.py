"""Interpreter hand-off in three real browsers (issue 6): a visitor writing in
Bulgarian on a phone, the demo nurse at her dashboard, and Iris, an interpreter, on her
own page.

The nurse asks for a Bulgarian interpreter and cancels (Iris's offer is withdrawn), then
asks again; Iris, on call, is offered the request (a language and a deadline) and
accepts; the nurse's browser makes the epoch that adds
Iris's device; the three talk. The nurse's page closes; Iris leaves; the visitor writes
— refused in the epochs Iris could read, the message is held —; the nurse opens her
dashboard again and her browser makes the epoch without Iris, in which the held message
goes. What is checked: each reads the others' messages, messages labelled by role; Iris
never sees what was written before she joined; the visitor and the nurse see "an
interpreter (Bulgarian) joined / left" from the signed commits, and the visitor sees
Iris's messages marked "Interpreter" — both in the visitor's language, switched
without a reload; once she has left,
Iris's page receives nothing (its websocket frames are recorded) and the keys in its
IndexedDB open nothing of the conversation but the epoch she was in — tried on every
wrap and every envelope the server stored, with her real device key pair.

Screenshots: tests/browser/screenshots/interpreter-page.png (Iris in the conversation),
interpreter-staff.png (the nurse's conversation with Iris joined) and
interpreter-visitor.png (the visitor's phone, in Bulgarian).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import helpline_env
from tests.browser.pages import PASSWORD, Watched, manage
from tests.browser.shift_setup import browser_certify, shell
from tests.staff_sign_in import authenticators_set, browser_sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 360, "height": 740}

BEFORE = "Здравейте, трябва ми помощ, но не говоря френски."
NURSE_BEFORE = "Bonjour, je cherche un interprète en bulgare pour vous."
IRIS_SAYS = "Здравейте, аз съм преводачката. Je traduis pour vous deux."
VISITOR_SAYS = "Благодаря! Имам нужда от тест за ХИВ."
NURSE_SAYS = "Le dépistage est gratuit au CeGIDD, sans rendez-vous le matin."
AFTER = "Благодаря и на двете. Ще дойда утре."
NURSE_AFTER = "À demain alors, bonne soirée."

# Iris's browser device: certified by the demo's admin key, as an interpreter device
# (no team key: interpreters read only through the epochs wrapped to them).
CERTIFY_INTERPRETER = """
from pathlib import Path
from django.conf import settings
from django.utils import timezone
from chat import keyring
from chat.crypto.keys import AdminKeys
from chat.models import Device
admin = AdminKeys.load(Path(settings.CHAT_DEMO_DIR) / "admin.key.json")
pending = Device.objects.filter(user__username="iris", state=Device.State.PENDING)
for device in pending:
    keyring.device_certify_with(admin=admin, device_id=str(device.pk), days=365, now=timezone.now())
print(len(pending))
"""

# Everything the server stored of a conversation, as the wire writes it.
STORED = """
import base64, json
from chat.models import Commit, Conversation, Device, Envelope, Wrap
b64 = lambda b: base64.b64encode(bytes(b)).decode()
conversation = Conversation.objects.filter(language__startswith="bg").latest("created_at")
commits = []
for commit in Commit.objects.filter(conversation=conversation).order_by("epoch"):
    wraps = Wrap.objects.filter(commit=commit).order_by("position")
    commits.append({
        "commit": json.loads(bytes(commit.body_json)),
        "wraps": [{"key_id": b64(w.key_id), "ct": b64(w.ciphertext)} for w in wraps],
    })
envelopes = [
    {"order": e.order, "envelope": {
        "conversation_id": str(conversation.pk), "epoch": e.epoch, "sender": e.sender,
        "stream": b64(e.stream), "seq": e.seq, "content_type": e.content_type,
        "ct": b64(e.ciphertext), "sig": b64(e.signature)}}
    for e in Envelope.objects.filter(conversation=conversation).order_by("order")
]
signers = {"visitor": b64(conversation.visitor_sig_public_key)}
for device in Device.objects.all():
    signers[str(device.pk)] = b64(device.sig_public_key)
print(json.dumps({"commits": commits, "envelopes": envelopes, "signers": signers}))
"""

# In Iris's page: with the key pair in its IndexedDB, try every wrap (as addressed to
# her key, whoever it was for) and every envelope (with every epoch secret she could
# get). Returns the epochs whose secret she opened and the orders of the envelopes.
KEYS_TRY = """
async ({ owner, stored }) => {
  const crypto = await import("/static/chat/crypto/index.js");
  const { wrapInfo } = await import("/static/chat/crypto/commits.js");
  const { hpkeOpen } = await import("/static/chat/crypto/suite1.js");
  const { fromWireForm } = await import("/static/chat/protocol/wire.js");
  const { deviceRecordGet } = await import("/static/ops/device-store.js");
  const record = await deviceRecordGet(owner);
  const ownKeyId = await crypto.keyId(await crypto.publicBytes(record.kemPair));
  const secrets = new Map();
  const hashes = new Map();
  for (const entry of stored.commits) {
    const commit = fromWireForm(entry.commit);
    const hash = await crypto.commitHash(commit);
    hashes.set(commit.epoch, hash);
    for (const wrap of entry.wraps.map(fromWireForm)) {
      for (const keyId of [ownKeyId, wrap.key_id]) {
        const info = wrapInfo({
          conversationId: commit.conversation_id, epoch: commit.epoch, keyId, commitHash: hash,
        });
        try {
          secrets.set(commit.epoch, await hpkeOpen(record.kemPair, info, wrap.ct));
        } catch {
          // not for her key
        }
      }
    }
  }
  const opened = [];
  for (const { order, envelope } of stored.envelopes) {
    const sealed = fromWireForm(envelope);
    for (const [epoch, epochSecret] of secrets) {
      try {
        await crypto.messageOpen(sealed, {
          epochSecret,
          commitHash: hashes.get(sealed.epoch),
          senderSigPk: crypto.b64decode(stored.signers[sealed.sender]),
        });
        opened.push({ order, epoch: sealed.epoch, with: epoch });
      } catch {
        // this secret does not open it
      }
    }
  }
  return { epochs: [...secrets.keys()], opened };
}
"""


@pytest.fixture
def interpreting_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    """The demo helpline (the demo nurse is on an open shift) with Iris, an interpreter
    for Bulgarian."""
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    env = helpline_env(embedded_env, data_dir)
    manage(
        env,
        *("staff_add", "iris", "--label", "Iris", "--interpreter", "--languages", "bg"),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    authenticators_set(env, ["iris"])
    served = serve(env)
    demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    return {"url": served.url, "env": env, "demo": demo}


@pytest.fixture
def browsers(browser) -> Iterator[dict[str, Watched]]:
    opened = {
        "visitor": Watched(browser, viewport=PHONE, locale="bg-BG", is_mobile=True),
        "nurse": Watched(browser),
        "iris": Watched(browser),
    }
    yield opened
    for watched in opened.values():
        watched.close()


class Frames:
    """Every websocket of a page: frames received, and whether it closed."""

    def __init__(self, page: Any) -> None:
        self.sockets: list[dict] = []
        page.on("websocket", self._socket)

    def _socket(self, socket: Any) -> None:
        record = {"received": [], "closed": False}
        self.sockets.append(record)
        socket.on("framereceived", lambda payload: record["received"].append(str(payload)))
        socket.on("close", lambda _: record.update(closed=True))

    def received(self) -> int:
        return sum(len(record["received"]) for record in self.sockets)

    def all(self) -> list[str]:
        return [frame for record in self.sockets for frame in record["received"]]


def wait_until(page: Any, condition: Any, seconds: float = 20) -> None:
    """Poll a condition on recorded events (Playwright delivers them while it waits)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        page.wait_for_timeout(100)


def type_in(page: Any, selector: str, text: str) -> None:
    page.fill(selector, text)
    page.press(selector, "Enter")


def staff_message(page: Any, text: str) -> Any:
    return page.locator("#messages li.message", has_text=text)


def test_an_interpreter_joins_for_a_while_and_sees_only_that_while(interpreting_helpline, browsers):
    helpline = interpreting_helpline
    url, env, demo = helpline["url"], helpline["env"], helpline["demo"]
    visitor, nurse, iris = browsers["visitor"].page, browsers["nurse"].page, browsers["iris"].page
    iris.on("dialog", lambda dialog: dialog.accept())
    iris_frames = Frames(iris)
    visitor_frames = Frames(visitor)

    # The visitor writes, in Bulgarian, before any interpreter is there.
    visitor.goto(f"{url}/c/{demo['campaign']}")
    visitor.wait_for_function("!document.getElementById('text').disabled")
    type_in(visitor, "#text", BEFORE)

    # The nurse takes it and answers (answering claims it).
    nurse.goto(url + "/staff/")
    browser_sign_in(nurse, "demo", demo["password"], demo["totp_secret"])
    nurse.wait_for_selector("#gate-pending", state="visible")
    browser_certify(env, "demo")
    nurse.click("#check-again")
    nurse.wait_for_selector("#connection-status[data-status='open']")
    nurse.locator("#queue-list .queue-entry").first.click()
    staff_message(nurse, BEFORE).wait_for()
    type_in(nurse, "#composer-text", NURSE_BEFORE)
    visitor.locator("#messages li.from-staff", has_text=NURSE_BEFORE).wait_for()

    # Iris signs in: her page, not the dashboard; her browser becomes a device.
    iris.goto(url + "/staff/")
    browser_sign_in(iris, "iris", PASSWORD)
    iris.wait_for_url(re.compile(r"/staff/interpreter/$"))
    iris.wait_for_selector("#gate-pending", state="visible")
    assert int(shell(env, CERTIFY_INTERPRETER).split()[-1]) == 1
    iris.click("#check-again")
    iris.wait_for_selector("#room-lobby", state="visible")
    iris.click("#on-call-start")
    iris.wait_for_function(
        "() => document.querySelector('#on-call-state').textContent.includes('astreinte jusqu')"
    )

    # The nurse asks for an interpreter in the conversation's language (the default),
    # and cancels: the offer Iris saw is withdrawn. Then she asks again.
    nurse.click("#tab-interpreter")
    assert nurse.locator("#interpreter-language").input_value() == "bg"
    nurse.click("#interpreter-ask")
    nurse.locator("#interpreter-panel", has_text="En attente d’un·e interprète").wait_for()
    iris.locator("#offers li.offer").wait_for()
    nurse.get_by_role("button", name="Annuler la demande").click()
    nurse.locator("#interpreter-panel", has_text="Demande annulée (bulgare)").wait_for()
    iris.locator("#room-notice", has_text="Une demande a été retirée.").wait_for()
    assert iris.locator("#offers li.offer").count() == 0
    nurse.click("#interpreter-ask")
    nurse.locator("#interpreter-panel", has_text="En attente d’un·e interprète").wait_for()

    # Iris sees the offer — a language and a deadline, nothing of the conversation — and
    # accepts; the nurse's browser makes the epoch that adds her device.
    offer = iris.locator("#offers li.offer")
    offer.wait_for()
    assert re.fullmatch(r"Bulgare : répondre avant \d\d:\d\d", offer.locator("span").inner_text())
    offer.get_by_role("button", name="Accepter").click()
    iris.wait_for_selector("#composer-text:not([disabled])")
    nurse.locator(
        "#messages li.message-interpreter", has_text="interprète (bulgare) a rejoint"
    ).wait_for()
    visitor.locator("#messages li.notice", has_text="(български) се присъедини").wait_for()

    # Three-way: each reads the others, labelled by role.
    type_in(iris, "#composer-text", IRIS_SAYS)
    type_in(visitor, "#text", VISITOR_SAYS)
    iris.locator("#messages li.message-visitor", has_text=VISITOR_SAYS).wait_for()
    type_in(nurse, "#composer-text", NURSE_SAYS)
    iris.locator("#messages li.message-colleague", has_text=NURSE_SAYS).wait_for()
    assert iris.locator("#messages li.message-colleague .who").first.inner_text() == "Équipe"
    from_iris = staff_message(nurse, IRIS_SAYS)
    from_iris.wait_for()
    assert from_iris.locator(".who").inner_text() == "Interprète"
    staff_message(nurse, VISITOR_SAYS).wait_for()
    visitor.locator("#messages li.from-staff", has_text=NURSE_SAYS).wait_for()
    # The visitor's page says who interprets, in the visitor's language: switched
    # (without a reload), the role and the language's name follow.
    iris_seen = visitor.locator("#messages li.from-staff", has_text=IRIS_SAYS).locator(".who")
    assert iris_seen.inner_text() == "Преводач · Iris"
    assert visitor.locator("#messages li.from-staff .who", has_text="Преводач").count() == 1
    visitor.select_option("#language", "fr")
    visitor.locator("#messages li.notice", has_text="interprète (bulgare) a rejoint").wait_for()
    assert iris_seen.inner_text() == "Interprète · Iris"
    visitor.select_option("#language", "bg")
    visitor.locator("#messages li.notice", has_text="(български) се присъедини").wait_for()
    # What was written before she joined never reached her page.
    shown = iris.locator("#messages").inner_text()
    assert BEFORE not in shown and NURSE_BEFORE not in shown
    assert iris.locator("#messages li.message").count() == 3

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    iris.screenshot(path=str(SCREENSHOTS / "interpreter-page.png"), full_page=True)
    nurse.screenshot(path=str(SCREENSHOTS / "interpreter-staff.png"), full_page=True)
    visitor.screenshot(path=str(SCREENSHOTS / "interpreter-visitor.png"))

    # The nurse's page closes (no staff browser online); then Iris leaves: her page says
    # so and shows nothing more.
    nurse.goto(url + "/staff/canned/")
    iris.click("#room-leave")
    iris.wait_for_selector("#room-ended", state="visible")
    assert "Vous avez quitté la conversation." in iris.inner_text("#room-ended-reason")
    iris.wait_for_function("() => document.querySelectorAll('#messages li').length === 0")
    received_when_left = iris_frames.received()
    sockets_when_left = len(iris_frames.sockets)

    # The visitor writes meanwhile: the server refuses the epoch Iris could read, the
    # visitor's page holds the message.
    type_in(visitor, "#text", AFTER)
    wait_until(visitor, lambda: any('"epoch_closed"' in frame for frame in visitor_frames.all()))
    held = visitor.locator("#messages li.from-me", has_text=AFTER)
    assert held.locator(".mark").get_attribute("data-state") in {"sending", "queued"}

    # The nurse opens her dashboard again: her browser makes the epoch without Iris, the
    # held message goes in it; everyone is told Iris left.
    nurse.goto(url + "/staff/")
    nurse.wait_for_selector("#connection-status[data-status='open']")
    nurse.locator("#conversation-list .conversation-item").first.click()
    nurse.locator(
        "#messages li.message-interpreter", has_text="interprète (bulgare) a quitté"
    ).wait_for()
    staff_message(nurse, AFTER).wait_for()
    visitor.locator("#messages li.notice", has_text="(български) напусна").wait_for()
    type_in(nurse, "#composer-text", NURSE_AFTER)
    visitor.locator("#messages li.from-staff", has_text=NURSE_AFTER).wait_for()

    # After leaving, Iris's page received nothing and opened no new socket.
    assert iris_frames.received() == received_when_left
    assert len(iris_frames.sockets) == sockets_when_left
    assert all(record["closed"] for record in iris_frames.sockets)
    assert iris.locator("#messages li").count() == 0

    # Her stored keys: the epoch she was in opens, and only its messages; nothing before
    # (epoch 0) or after (epoch 2) does.
    stored = json.loads(shell(env, STORED))
    assert [entry["commit"]["reason"] for entry in stored["commits"]] == [
        "open",
        "member_add",
        "member_remove",
    ]
    owner = iris.get_attribute("#staff-app", "data-owner")
    tried = iris.evaluate(KEYS_TRY, {"owner": owner, "stored": stored})
    assert tried["epochs"] == [1]
    epochs = {e["order"]: e["envelope"]["epoch"] for e in stored["envelopes"]}
    in_her_epoch = sorted(order for order, epoch in epochs.items() if epoch == 1)
    assert sorted(o["order"] for o in tried["opened"]) == in_her_epoch
    assert len(in_her_epoch) >= 3  # her text, the visitor's, the nurse's (and profiles)
    assert any(epoch == 0 for epoch in epochs.values())
    assert any(epoch == 2 for epoch in epochs.values())

    for name in ("visitor", "nurse", "iris"):
        watched = browsers[name]
        for text in (BEFORE, IRIS_SAYS, VISITOR_SAYS, NURSE_SAYS, AFTER):
            assert not watched.sent_contains(text), (name, text)
