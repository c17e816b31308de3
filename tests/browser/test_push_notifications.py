"""Web Push on the visitor's phone (issue 24), in Chromium at 360 × 740.

A visitor writes in Bulgarian, opens the Options and ticks "tell me on this phone when
the team answers" (explained in Bulgarian); the server stores the subscription against
the conversation (read from the helpline's database). A push is delivered to the /c/
service worker with CDP ``ServiceWorker.deliverPushMessage``: the notification's title
is the neutral one in Bulgarian, with no body — once the chat is not in front (while it
is, the page shows the reply and no notification is drawn). Its ``notificationclick`` code opens the
chat page. Quick exit then leaves no service worker registration (so no subscription)
and no subscription on the server.

What is not real here: Chromium has no push service to reach from this machine, so
``PushManager.subscribe`` is replaced (an init script) by one returning a subscription
with a real P-256 key and auth secret and a loopback endpoint; and a headless browser
cannot click a notification, so ``notificationOpen`` — what the click handler runs — is
called in the worker with ``clients`` recorded instead of a window opened.

The staff side: the demo nurse at her dashboard ticks "Me prévenir sur cet appareil";
the server stores the subscription against her session and certified device; a push
delivered to /staff/sw.js while no dashboard is in front shows "Nouvelle conversation"
and the count; one click unticks it and the server forgets it.

Screenshots (tests/browser/screenshots/): push-optin-bg.png, push-optin-on-bg.png,
push-staff-fr.png, push-staff-on-fr.png.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ops.push.vapid import vapid_key_generate
from tests.browser.conftest import DB_NAME, helpline_env
from tests.browser.shift_setup import demo_workspace_open

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 20_000

# Runs before the page's scripts: a subscription as Chromium would give one, made with
# WebCrypto (a P-256 key pair, a 16-byte secret), its endpoint on loopback.
FAKE_PUSH_SERVICE = """
(() => {
  if (typeof PushManager === "undefined") return;
  // Kept across the page's navigations, as a browser keeps a real subscription.
  const KEY = "test-fake-push-subscription";
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const made = (json) => json && {
    endpoint: json.endpoint,
    toJSON: () => json,
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  };
  PushManager.prototype.getSubscription = async function () {
    return made(JSON.parse(localStorage.getItem(KEY) || "null"));
  };
  PushManager.prototype.subscribe = async function (options) {
    if (!options?.userVisibleOnly || !options.applicationServerKey) throw new Error("options");
    const pair = await crypto.subtle.generateKey(
      { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const p256dh = await crypto.subtle.exportKey("raw", pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const id = b64url(crypto.getRandomValues(new Uint8Array(12)));
    const json = {
      endpoint: "http://127.0.0.1:9/push/" + id,
      expirationTime: null,
      keys: { p256dh: b64url(p256dh), auth: b64url(auth) },
    };
    localStorage.setItem(KEY, JSON.stringify(json));
    return made(json);
  };
})();
"""


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


@pytest.fixture
def push_helpline(serve, embedded_env, seeded_template, tmp_path) -> Any:
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    served = serve(
        {
            **helpline_env(embedded_env, data_dir),
            "WIDGET_EXIT_URL": "/healthz",
            "PUSH_VAPID_PRIVATE_KEY": vapid_key_generate(),
            "PUSH_ALLOW_LOOPBACK": "1",
        }
    )
    served.demo = json.loads((data_dir / "demo" / "demo.json").read_text())
    served.database = data_dir / DB_NAME
    served.env = helpline_env(embedded_env, data_dir)
    return served


def subscriptions_stored(database: Path, table: str = "ops_visitorpushsubscription") -> list:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT endpoint FROM {table}").fetchall()  # noqa: S608


def registration_id(page: Any, cdp: Any, registrations: list, scope: str) -> str:
    return poll(
        page,
        lambda: next((r["registrationId"] for r in registrations if r["scopeURL"] == scope), None),
    )


def poll(page: Any, check) -> Any:
    for _ in range(TIMEOUT_MS // 250):
        value = check()
        if value:
            return value
        page.wait_for_timeout(250)
    raise AssertionError("timed out")


def test_opt_in_push_notification_click_and_quick_exit(push_helpline, browser):
    helpline = push_helpline
    context = browser.new_context(**PHONE)
    context.grant_permissions(["notifications"], origin=helpline.url)
    context.add_init_script(FAKE_PUSH_SERVICE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    campaign = helpline.demo["campaign"]
    chat_path = f"/c/{campaign}?lang=bg"
    page.goto(helpline.url + chat_path)
    page.locator("#status[data-state='open']").wait_for(timeout=TIMEOUT_MS)

    page.click("#more")
    assert page.locator("#push-area").is_hidden()  # nothing to be told of before writing
    page.fill("#text", "Здравейте, имам въпрос.")
    page.click("#send")
    page.locator("li.from-me .mark[data-state='sent']").wait_for(timeout=TIMEOUT_MS)
    area = page.locator("#push-area")
    area.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert (
        area.locator("label").inner_text() == "Известете ме на този телефон, когато екипът отговори"
    )
    assert "Имате отговор" in page.locator("#push-help").inner_text()
    area.scroll_into_view_if_needed()
    shot(page, "push-optin-bg.png")

    page.locator("#push").check()
    [(endpoint,)] = poll(page, lambda: subscriptions_stored(helpline.database))
    assert endpoint.startswith("http://127.0.0.1:9/push/")
    shot(page, "push-optin-on-bg.png")

    # A push arrives: the worker shows the neutral title, in Bulgarian, and nothing else.
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    registration_id = poll(
        page,
        lambda: next(
            (r["registrationId"] for r in registrations if r["scopeURL"] == helpline.url + "/c/"),
            None,
        ),
    )

    def push_deliver() -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": helpline.url + "/",
                "registrationId": registration_id,
                "data": '{"kind":"reply","count":1}' + " " * 38,
            },
        )

    def shown() -> list:
        return page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.getRegistration('/c/');
                return (await registration.getNotifications()).map((n) => (
                    {title: n.title, body: n.body, tag: n.tag, data: n.data}));
            }"""
        )

    # While the visitor looks at the chat, the page shows the reply: no notification.
    page.bring_to_front()
    push_deliver()
    page.wait_for_timeout(1000)
    assert shown() == []

    # The visitor switched to another app (another tab in front): the chat is not in
    # front any more (headless Chromium keeps every tab "visible"; Playwright makes each
    # believe it has the focus, which is turned off here for this one).
    other = context.new_page()
    other.bring_to_front()
    cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    poll(page, lambda: not page.evaluate("document.hasFocus()"))
    push_deliver()
    notifications = poll(page, shown)
    assert notifications == [
        {"title": "Имате отговор", "body": "", "tag": "reply", "data": {"url": chat_path}}
    ]

    # What a tap on it runs: the chat page is opened (no window of it open), or brought
    # forward (one open).
    [worker] = [w for w in context.service_workers if w.url.endswith("/c/sw.js")]
    opened = worker.evaluate(
        """async () => {
            const done = [];
            const windows = [];
            Object.defineProperty(self, "clients", { configurable: true, value: {
                matchAll: async () => windows,
                openWindow: async (url) => done.push(["open", url]),
            }});
            const [notification] = await self.registration.getNotifications();
            await notificationOpen(notification);
            windows.push({ url: self.location.origin + notification.data.url,
                           focus: async () => done.push(["focus"]) });
            await notificationOpen(notification);
            return done;
        }"""
    )
    assert opened == [["open", helpline.url + chat_path], ["focus"]]

    # Quick exit: nothing left, here or on the server.
    other.close()
    page.bring_to_front()
    page.click("#quick-exit")
    page.wait_for_url(f"{helpline.url}/healthz", timeout=TIMEOUT_MS)
    assert (
        page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
    )
    assert page.evaluate("async () => await caches.keys()") == []
    assert subscriptions_stored(helpline.database) == []
    assert errors == []
    context.close()


def test_staff_notify_me_on_this_device_then_one_click_off(push_helpline, watched):
    helpline = push_helpline
    staff = watched()
    staff.context.grant_permissions(["notifications"], origin=helpline.url)
    staff.context.add_init_script(FAKE_PUSH_SERVICE)
    page = demo_workspace_open(staff, helpline)
    area = page.locator("#push-area")
    area.wait_for(state="visible")
    assert area.inner_text().strip() == "Me prévenir sur cet appareil"
    area.scroll_into_view_if_needed()
    shot(page, "push-staff-fr.png")

    page.locator("#push-on").check()
    page.locator("#push-state", has_text="Cet appareil sera prévenu").wait_for()
    with sqlite3.connect(helpline.database) as connection:
        [(device_id, session_id)] = connection.execute(
            "SELECT device_id, session_id FROM ops_staffpushsubscription"
        ).fetchall()
    assert device_id and session_id
    shot(page, "push-staff-on-fr.png")

    # The dashboard is closed (the tab shows another page): a push is shown.
    cdp = staff.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    staff_registration = registration_id(page, cdp, registrations, helpline.url + "/staff/")
    assert staff.errors == []
    page.goto(helpline.url + "/healthz")  # (its favicon is a 404: not the dashboard's)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": helpline.url + "/",
            "registrationId": staff_registration,
            "data": '{"kind":"conversation","count":3}' + " " * 30,
        },
    )
    notifications = poll(
        page,
        lambda: page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.getRegistration('/staff/');
                return (await registration.getNotifications()).map((n) => (
                    {title: n.title, body: n.body, tag: n.tag}));
            }"""
        ),
    )
    assert notifications == [
        {
            "title": "Nouvelle conversation",
            "body": "3 depuis la dernière notification",
            "tag": "conversation",
        }
    ]

    page.goto(helpline.url + "/staff/")
    staff.errors.clear()
    page.wait_for_selector("#connection-status[data-status='open']")
    box = page.locator("#push-on")
    box.wait_for(state="visible")
    # Ticked again on its own: the server knows this browser's subscription.
    page.wait_for_function("() => document.getElementById('push-on').checked")
    box.uncheck()
    page.locator("#push-state", has_text="ne sera plus prévenu").wait_for()
    assert subscriptions_stored(helpline.database, "ops_staffpushsubscription") == []
    assert staff.errors == []
