// What the widget keeps on the phone: nothing, unless the visitor ticks "keep this
// conversation on this phone". Then one IndexedDB record holds the session's exported
// state (token, conversation, keys). IndexedDB, because it stores CryptoKeys as they
// are (structured clone). The visitor's keys are extractable (a return code
// seals them): someone holding an unlocked phone with a kept conversation could
// already reopen it with the kept token, so that gives them nothing more.
//
// Reading never creates anything: opening a database that does not exist would leave
// an empty one behind, visible to anyone who inspects the browser, so the upgrade that
// would create it is aborted (which deletes it again) unless we are saving.

import { offlineForget } from "./pages/offline.js";

const DB_NAME = "widget-state";
const STORE = "state";
const KEY = "session";

let opened = null; // the open IDBDatabase, kept so that wiping can close it first

function requestDone(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function databaseOpen({ create }) {
  if (opened) return Promise.resolve(opened);
  if (!("indexedDB" in globalThis)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      if (!create) {
        request.transaction.abort(); // nothing stored: leave no empty database
        return;
      }
      request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => {
      opened = request.result;
      // Another tab deleting the database (its quick exit) must not wait for us.
      opened.onversionchange = () => databaseClose();
      resolve(opened);
    };
    request.onerror = (event) => {
      if (!create && request.error && request.error.name === "AbortError") {
        event.preventDefault();
        resolve(null);
      } else {
        reject(request.error);
      }
    };
    request.onblocked = () => reject(new Error("storage blocked"));
  });
}

function databaseClose() {
  if (opened) {
    opened.close();
    opened = null;
  }
}

/** The saved session state, or null. Never creates a database. */
export async function stateLoad() {
  const db = await databaseOpen({ create: false });
  if (!db) return null;
  const value = await requestDone(db.transaction(STORE, "readonly").objectStore(STORE).get(KEY));
  return value ?? null;
}

/** Saves (replaces) the session state. */
export async function stateSave(state) {
  const db = await databaseOpen({ create: true });
  if (!db) throw new Error("no IndexedDB in this browser");
  const transaction = db.transaction(STORE, "readwrite");
  transaction.objectStore(STORE).put(state, KEY);
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/** Deletes the saved state and its database. */
export async function stateForget() {
  databaseClose();
  if (!("indexedDB" in globalThis)) return;
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/** Quick exit: everything this origin may have stored in this browser, gone — the
 *  offline copy of the pages and its service worker too. The /bye page's
 *  Clear-Site-Data does it again from the server side. */
export async function storageWipe() {
  const steps = [stateForget(), offlineForget()];
  for (const storage of ["localStorage", "sessionStorage"]) {
    try {
      globalThis[storage]?.clear();
    } catch {
      // storage disabled: nothing was stored there either
    }
  }
  await Promise.allSettled(steps);
}
