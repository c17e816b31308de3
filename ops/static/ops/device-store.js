/**
 * This browser's device keys, in IndexedDB. The private keys are non-extractable
 * CryptoKeys: IndexedDB stores them by structured clone, and no script (ours included)
 * can read their bytes back. One record per signed-in user, so two colleagues sharing
 * an office computer each have their own device.
 *
 * Record: {owner, deviceId, kemPair, sigPair, adminFingerprint (Uint8Array | null),
 * createdAt}. `adminFingerprint` is the admin key this device first saw itself
 * certified under; the staff page pins it from then on.
 * @module
 */

const DB_NAME = "helpline-staff";
const DB_VERSION = 1;
const STORE = "devices";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opening = null;

function database() {
  if (opening === null) {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(STORE, { keyPath: "owner" });
    };
    opening = request(req);
  }
  return opening;
}

async function store(mode) {
  const db = await database();
  return db.transaction(STORE, mode).objectStore(STORE);
}

/** The device record of this user in this browser, or null. */
export async function deviceRecordGet(owner) {
  return (await request((await store("readonly")).get(String(owner)))) ?? null;
}

/** Save (or replace) the device record of this user. */
export async function deviceRecordPut(record) {
  await request((await store("readwrite")).put({ ...record, owner: String(record.owner) }));
}

/** Forget this user's device in this browser (its keys are gone for good). */
export async function deviceRecordDelete(owner) {
  await request((await store("readwrite")).delete(String(owner)));
}
