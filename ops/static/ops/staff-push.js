/**
 * "Me prévenir sur cet appareil": Web Push to this staff device when the
 * dashboard is closed. Ticking subscribes through /staff/sw.js (scope /staff/) and gives
 * the server the subscription with this device's id (POST /staff/api/push/subscription);
 * unticking is one click: unsubscribed here and on the server. The server deletes the
 * subscription when the session ends or the device is revoked.
 * @module
 */

import { api } from "./http.js";
import { byId } from "./elements.js";
import { t } from "./strings.js";

const SCOPE = "/staff/";
const WORKER = "/staff/sw.js";

function keyBytes(base64url) {
  const text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function registration() {
  const found =
    (await navigator.serviceWorker.getRegistration(SCOPE)) ??
    (await navigator.serviceWorker.register(WORKER, { scope: SCOPE }));
  await navigator.serviceWorker.ready;
  return found;
}

function stringsTell(found) {
  found.active?.postMessage({
    type: "push-strings",
    strings: {
      conversation: t("push.title_conversation"),
      message: t("push.title_message"),
      count: t("push.body_count"),
    },
  });
}

/** Shows the box when the helpline has push; `deviceId`: this browser's staff device. */
export async function staffPushWire({ deviceId }) {
  const box = byId("push-on");
  const state = byId("push-state");
  if (!box || !supported()) return;
  let info;
  try {
    info = await api("/push");
  } catch {
    return;
  }
  if (!info.enabled) return;
  byId("push-area").hidden = false;
  byId("push-help").hidden = false;
  const existing = await navigator.serviceWorker.getRegistration(SCOPE);
  const current = await existing?.pushManager.getSubscription();
  if (current) {
    const known = await api(`/push?endpoint=${encodeURIComponent(current.endpoint)}`);
    box.checked = known.subscribed;
  }
  box.onchange = async () => {
    box.disabled = true;
    try {
      if (box.checked) {
        if ((await Notification.requestPermission()) !== "granted") throw new Error("denied");
        const found = await registration();
        stringsTell(found);
        const subscription =
          (await found.pushManager.getSubscription()) ??
          (await found.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(info.public_key),
          }));
        await api("/push/subscription", {
          method: "POST",
          body: { device_id: deviceId, subscription: subscription.toJSON() },
        });
        state.textContent = t("push.on");
      } else {
        const found = await navigator.serviceWorker.getRegistration(SCOPE);
        const subscription = await found?.pushManager.getSubscription();
        if (subscription) {
          await api("/push/unsubscribe", { method: "POST", body: { endpoint: subscription.endpoint } });
          await subscription.unsubscribe();
        }
        state.textContent = t("push.off");
      }
    } catch {
      box.checked = false;
      state.textContent = t("push.failed");
    } finally {
      box.disabled = false;
    }
  };
}
