// "Tell me on this phone when the team answers" — Web Push, opt-in, offered
// after the visitor's first message, only when the helpline has it on (config.push_key:
// the VAPID public key, null when off) and the browser can.
//
// Ticking subscribes through the one service worker of /c/ (/c/sw.js) and gives the
// server the subscription with the conversation's token (POST /c/push/subscribe); the
// worker is told the visitor's language, so that the notification it shows — "You have
// a reply", never the message — is in it. Unticking unsubscribes here and there. Quick
// exit forgets every subscription of the conversation on the server (pushForget) before
// the phone is wiped (the wipe unregisters the worker, which drops the subscription).

import { t } from "./i18n.js";

const SCOPE = "/c/";
const WORKER = "/c/sw.js";

function supported(config) {
  return (
    Boolean(config.push_key) &&
    "serviceWorker" in navigator &&
    "PushManager" in globalThis &&
    "Notification" in globalThis
  );
}

function keyBytes(base64url) {
  const text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function tokenText(token) {
  return btoa(String.fromCharCode(...token));
}

async function post(path, body, { keepalive = false } = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    keepalive,
  });
  if (!response.ok) throw new Error(`push: HTTP ${response.status}`);
}

async function registration() {
  const existing = await navigator.serviceWorker.getRegistration(SCOPE);
  const found = existing ?? (await navigator.serviceWorker.register(WORKER, { scope: SCOPE }));
  await navigator.serviceWorker.ready;
  return found;
}

/** Tell the worker the language of its notification. */
export async function pushLanguageTell(language) {
  if (!("serviceWorker" in navigator)) return;
  const found = await navigator.serviceWorker.getRegistration(SCOPE);
  found?.active?.postMessage({ type: "push-language", language });
}

/**
 * @param {object} config the page's config (push_key)
 * @param {object} ui the page's ChatUi
 * @param {object} hooks `token()` the conversation's token (Uint8Array) or null;
 *   `language()` the visitor's language; `announce(text)`
 */
export function pushWire(config, hooks) {
  const box = document.getElementById("push");
  const area = document.getElementById("push-area");
  if (!box || !area || !supported(config)) return { offer() {}, forget() {} };
  box.addEventListener("change", async () => {
    const token = hooks.token();
    if (!token) return;
    box.disabled = true;
    try {
      if (box.checked) {
        const permission = await Notification.requestPermission();
        if (permission !== "granted") throw new Error("permission refused");
        const found = await registration();
        await pushLanguageTell(hooks.language()); // before any push can come
        const subscription =
          (await found.pushManager.getSubscription()) ??
          (await found.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(config.push_key),
          }));
        await post("/c/push/subscribe", {
          token: tokenText(token),
          subscription: subscription.toJSON(),
        });
        hooks.announce(t("push_on"));
      } else {
        const found = await navigator.serviceWorker.getRegistration(SCOPE);
        const subscription = await found?.pushManager.getSubscription();
        if (subscription) {
          await post("/c/push/unsubscribe", {
            token: tokenText(token),
            endpoint: subscription.endpoint,
          });
          await subscription.unsubscribe();
        }
        hooks.announce(t("push_off"));
      }
    } catch {
      box.checked = false;
      hooks.announce(t("push_failed"));
    } finally {
      box.disabled = false;
    }
  });
  return {
    /** After the first message: the conversation exists, the box may be ticked. */
    offer() {
      if (hooks.token()) area.hidden = false;
    },
    /** Quick exit: the server forgets every phone of this conversation. */
    forget(token) {
      if (!token) return Promise.resolve();
      return post("/c/push/unsubscribe", { token: tokenText(token) }, { keepalive: true }).catch(
        () => null,
      );
    },
  };
}
