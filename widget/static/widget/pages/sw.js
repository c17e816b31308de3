// The service worker of the visitor's pages, served at /c/sw.js with scope /c/ — the one
// worker of that scope: the offline copy of the pages, and Web Push (below).
//
// Offline copy: a page asks (postMessage {type: "kit", url}) for the list at `url`
// (widget/pages.py offline_kit: every page of the language, the chat's page, code and
// catalogue, and a version). The copy is kept in the cache "pages-<version>"; a new
// version makes a new cache and deletes the others. Requests go to the network first;
// only when it fails is the copy used (the page then says it is offline). Reading never
// writes into the copy: what it holds, and when it was made, is the same whatever was
// read. Nothing is sent anywhere but the requests the pages make anyway.

const CACHE_PREFIX = "pages-";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  if (event.origin && event.origin !== self.location.origin) return;
  const data = event.data;
  if (data?.type === "kit" && typeof data.url === "string") {
    event.waitUntil(kitKeep(data.url).catch(() => null));
  }
  if (data?.type === "push-language" && typeof data.language === "string") {
    const page = event.source?.url ? new URL(event.source.url) : null;
    event.waitUntil(pushSettingsSave(data.language, page).catch(() => null));
  }
});

async function kitKeep(url) {
  const target = new URL(url, self.location.origin);
  if (target.origin !== self.location.origin) return;
  const response = await fetch(target, { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) return;
  const kit = await response.json();
  if (typeof kit.version !== "string" || !Array.isArray(kit.urls)) return;
  const name = CACHE_PREFIX + kit.version;
  const cache = await caches.open(name);
  for (const each of kit.urls) {
    // "no-cache": a file the browser has already is revalidated (a 304), not fetched again.
    const request = new Request(new URL(each, self.location.origin), {
      credentials: "same-origin",
      cache: "no-cache",
    });
    if (!(await cache.match(request, { ignoreVary: true }))) await cache.add(request);
  }
  for (const old of await caches.keys()) {
    if (old.startsWith(CACHE_PREFIX) && old !== name) await caches.delete(old);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" || url.pathname.startsWith("/static/")) {
    event.respondWith(networkThenCopy(request, request.mode === "navigate"));
  }
});

async function networkThenCopy(request, navigation) {
  try {
    return await fetch(request);
  } catch (error) {
    const kept =
      (await caches.match(request, { ignoreVary: true })) ??
      // A page asked for in another way (no ?lang=, another language): the one kept.
      (navigation ? await caches.match(request, { ignoreVary: true, ignoreSearch: true }) : undefined);
    if (kept) return kept;
    throw error;
  }
}

// --- Web Push ----------------------------------------------------------------------------
//
// The visitor asked "tell me on this phone when the team answers" (widget/static/widget/
// push.js). A push carries only {kind, count}, padded; the notification says only "You
// have a reply" in the visitor's language — the same words whatever was written, nothing
// from the message, no name — and a tap opens the chat page (or brings it forward). The
// language and the page are what the chat page told this worker (push-language), kept
// in the cache "push-settings"; quick exit deletes every cache and unregisters this worker.

const PUSH_SETTINGS = "push-settings";
const PUSH_SETTINGS_URL = "/c/push-settings";
const REPLY_TITLE = {
  fr: "Vous avez une réponse",
  en: "You have a reply",
  bg: "Имате отговор",
  ro: "Aveți un răspuns",
  ru: "Вам ответили",
  es: "Tienes una respuesta",
  pt: "Você tem uma resposta",
  "pt-BR": "Você tem uma resposta",
  zh: "您有一条回复",
};

async function pushSettingsSave(language, page) {
  const cache = await caches.open(PUSH_SETTINGS);
  const url = page && page.origin === self.location.origin ? page.pathname + page.search : "/c/";
  await cache.put(PUSH_SETTINGS_URL, new Response(JSON.stringify({ language, url })));
}

async function pushSettings() {
  try {
    const kept = await caches.match(PUSH_SETTINGS_URL);
    if (kept) return await kept.json();
  } catch {
    // nothing kept: the defaults
  }
  return { language: "fr", url: "/c/" };
}

function replyTitle(language) {
  return REPLY_TITLE[language] ?? REPLY_TITLE[String(language).split("-")[0]] ?? REPLY_TITLE.en;
}

self.addEventListener("push", (event) => {
  event.waitUntil(
    (async () => {
      // The visitor is looking at the chat: the page shows the reply, no notification.
      const windows = await self.clients.matchAll({ type: "window" });
      if (windows.some((each) => each.visibilityState === "visible" && each.focused)) return;
      const { language, url } = await pushSettings();
      await self.registration.showNotification(replyTitle(language), {
        tag: "reply", // a second reply replaces the first on the phone too
        renotify: true,
        data: { url },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(notificationOpen(event.notification));
});

/** The chat page the notification came from: brought forward if open, else opened. */
async function notificationOpen(notification) {
  const wanted = new URL(notification.data?.url ?? "/c/", self.location.origin);
  if (wanted.origin !== self.location.origin || !wanted.pathname.startsWith("/c/")) return;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((each) => new URL(each.url).pathname === wanted.pathname);
  return open ? open.focus() : self.clients.openWindow(wanted.href);
}
