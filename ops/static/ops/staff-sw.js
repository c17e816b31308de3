// The staff dashboard's service worker, served at /staff/sw.js with scope /staff/
// (ops/push/views.py). It does one thing: Web Push. A push carries only
// {kind, count} (padded, encrypted to this browser); the notification says "New
// conversation" or "New message" in the staff member's language (the dashboard gave
// the words when the box was ticked), never who or what. A tap opens the dashboard.

const SETTINGS = "staff-push-settings";
const SETTINGS_URL = "/staff/push-settings";
const DEFAULTS = {
  conversation: "New conversation",
  message: "New message",
  count: "{count} since the last notification",
};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  if (event.origin && event.origin !== self.location.origin) return;
  const data = event.data;
  if (data?.type === "push-strings" && data.strings && typeof data.strings === "object") {
    const strings = {};
    for (const key of Object.keys(DEFAULTS)) {
      if (typeof data.strings[key] === "string") strings[key] = data.strings[key].slice(0, 200);
    }
    event.waitUntil(
      caches
        .open(SETTINGS)
        .then((cache) => cache.put(SETTINGS_URL, new Response(JSON.stringify(strings))))
        .catch(() => null),
    );
  }
});

async function strings() {
  try {
    const kept = await caches.match(SETTINGS_URL);
    if (kept) return { ...DEFAULTS, ...(await kept.json()) };
  } catch {
    // nothing kept: the defaults
  }
  return DEFAULTS;
}

function payload(event) {
  try {
    const data = event.data?.json();
    if (data && (data.kind === "conversation" || data.kind === "message")) return data;
  } catch {
    // not ours, or not JSON: a neutral notification all the same
  }
  return { kind: "conversation", count: 1 };
}

self.addEventListener("push", (event) => {
  const { kind, count } = payload(event);
  event.waitUntil(
    (async () => {
      // A dashboard in front of the person already shows it (and rings).
      const windows = await self.clients.matchAll({ type: "window" });
      if (windows.some((each) => each.visibilityState === "visible" && each.focused)) return;
      const words = await strings();
      const n = Number.isInteger(count) && count > 0 ? count : 1;
      await self.registration.showNotification(words[kind], {
        tag: kind,
        renotify: true,
        body: n > 1 ? words.count.replace("{count}", String(n)) : "",
        data: { url: "/staff/" },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((each) => new URL(each.url).pathname === "/staff/");
      return open ? open.focus() : self.clients.openWindow("/staff/");
    }),
  );
});
