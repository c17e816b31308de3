// The offline copy of the visitor's pages: the one service worker (/c/sw.js, scope /c/)
// keeps every page of the visitor's language, the chat's page and its code, so that they
// open without a connection. Nothing here records what was read: the copy is the same
// whichever pages were opened.
//
// offlineForget() undoes all of it — caches, the worker's registration — for quick exit
// and "delete now" (with the chat's own IndexedDB, wiped by store.js).

export function offlineSupported() {
  return "serviceWorker" in navigator && "caches" in globalThis && globalThis.isSecureContext;
}

/** Registers the worker (if needed) and asks it to keep the copy listed at `kitUrl`
 *  (widget/pages.py offline_kit), once the page itself has loaded: the copy never slows
 *  the page down. Failures are silent: the pages work online anyway. */
export async function offlineKeep({ kitUrl, serviceWorker, scope }) {
  if (!kitUrl || !offlineSupported()) return;
  if (document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  try {
    await navigator.serviceWorker.register(serviceWorker, { scope, type: "classic" });
    const registration = await navigator.serviceWorker.ready;
    registration.active?.postMessage({ type: "kit", url: kitUrl });
  } catch {
    // private mode, storage refused: nothing kept, nothing to do
  }
}

/** Every cache and every worker registration of this site, gone. */
export async function offlineForget() {
  const steps = [];
  if ("caches" in globalThis) {
    steps.push(caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name)))));
  }
  if ("serviceWorker" in navigator) {
    // A push subscription is dropped first, then its worker.
    const unsubscribe = (each) =>
      each.pushManager
        ?.getSubscription()
        .then((subscription) => subscription?.unsubscribe())
        .catch(() => null);
    steps.push(
      navigator.serviceWorker
        .getRegistrations()
        .then((registrations) =>
          Promise.all(registrations.map((each) => Promise.resolve(unsubscribe(each)).then(() => each.unregister()))),
        ),
    );
  }
  await Promise.allSettled(steps);
}
