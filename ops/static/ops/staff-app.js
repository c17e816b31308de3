/**
 * The staff app (/staff/, and the interpreter's page /staff/interpreter/): make this
 * browser a device on first visit, wait until the coordinator certifies it, then open
 * the workspace (or the interpreter's room). Until then only the gate shows.
 * @module
 */

import { fingerprintDisplay, publicBytes } from "../chat/crypto/index.js";
import { deviceEnsure, deviceFingerprint, deviceStatus } from "./device.js";
import { deviceRecordDelete, deviceRecordPut } from "./device-store.js";
import { byId, showOnly } from "./elements.js";
import { InterpreterRoom } from "./interpreter-room.js";
import { t } from "./strings.js";
import { Workspace } from "./workspace.js";
import { staffPushWire } from "./staff-push.js";
import { wrapKeysTidy } from "./wrap-keys.js";

const GATES = [
  "gate-loading",
  "gate-pending",
  "gate-team-key",
  "gate-revoked",
  "gate-admin-changed",
  "gate-error",
];
const NOT_CERTIFIED = new Set(["pending", "expired", "invalid"]);

const root = byId("staff-app");
const owner = root.dataset.owner;
const label = root.dataset.label;
const publicRole = root.dataset.publicRole || null; // the label's role, for visitors (ops/public_roles.py)
const role = root.dataset.role;
let workspace = null;
let checking = false;

function gate(id) {
  showOnly(GATES, id);
  byId("workspace").hidden = true;
}

function fail(error) {
  byId("gate-error-message").textContent =
    error?.name === "ApiError" ? error.message : `${t("error.generic")} (${error?.message ?? error})`;
  gate("gate-error");
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Where this device stands, and the screen that goes with it. */
async function boot({ statusLine = null } = {}) {
  if (checking) return;
  checking = true;
  if (statusLine) byId(statusLine).textContent = t("app.checking");
  try {
    await bootOnce(statusLine);
  } catch (error) {
    fail(error);
  } finally {
    checking = false;
  }
}

async function bootOnce(statusLine) {
  if (!("indexedDB" in window)) throw new Error(t("app.no_storage"));
  let record = await deviceEnsure({ owner, role });
  let status;
  try {
    status = await deviceStatus(record.deviceId);
  } catch (error) {
    if (error?.status !== 404) throw error;
    // The server does not know this device (its database was reset): start afresh.
    await deviceRecordDelete(owner);
    record = await deviceEnsure({ owner, role });
    status = await deviceStatus(record.deviceId);
  }
  // From this browser's own keys, never from what the server says they are.
  byId("device-fingerprint").textContent = await deviceFingerprint(
    record.kemPair ? await publicBytes(record.kemPair) : record.retiredKemPk,
    await publicBytes(record.sigPair),
  );

  if (NOT_CERTIFIED.has(status.state)) {
    gate("gate-pending");
    if (statusLine) byId(statusLine).textContent = t("app.still_pending");
    return;
  }
  if (status.state === "revoked") {
    gate("gate-revoked");
    return;
  }
  // Trust on first use: the admin key this device was first certified under is pinned;
  // a later change needs the person's explicit consent (after hearing it from the
  // coordinator), as a server that swapped keys would otherwise go unnoticed.
  const fingerprint = status.adminKey.fingerprint;
  if (record.adminFingerprint === null) {
    record = { ...record, adminFingerprint: fingerprint };
    await deviceRecordPut(record);
  } else if (!sameBytes(record.adminFingerprint, fingerprint)) {
    byId("admin-old-fingerprint").textContent = fingerprintDisplay(record.adminFingerprint);
    byId("admin-new-fingerprint").textContent = fingerprintDisplay(fingerprint);
    byId("admin-trust-new").onclick = async () => {
      await deviceRecordPut({ ...record, adminFingerprint: fingerprint });
      boot();
    };
    gate("gate-admin-changed");
    return;
  }
  // Delete the KEM keys of destroyed team key versions, so their wraps open no more;
  // publish a fresh one.
  record = await wrapKeysTidy(record, status);
  if (status.role === "staff" && !status.team_keys.some((entry) => entry.wrap !== null)) {
    gate("gate-team-key");
    if (statusLine) byId(statusLine).textContent = t("app.still_pending");
    return;
  }
  workspace?.stop();
  // Interpreters have their own page (/staff/interpreter/): one conversation.
  const View = role === "interpreter" ? InterpreterRoom : Workspace;
  workspace = new View({
    owner,
    record,
    label,
    publicRole,
    adminFingerprint: record.adminFingerprint,
    onFatal: fail,
  });
  showOnly(GATES, null);
  workspace.onKeysDestroyed = () => boot(); // the keys to delete come with the device's status
  await workspace.start();
  // "Notify me on this device", once this browser is a certified staff device.
  if (role === "staff") staffPushWire({ deviceId: record.deviceId }).catch(() => null);
}

byId("check-again").addEventListener("click", () => boot({ statusLine: "gate-pending-status" }));
byId("check-again-team").addEventListener("click", () => boot({ statusLine: "gate-team-key-status" }));
byId("gate-retry").addEventListener("click", () => {
  gate("gate-loading");
  boot();
});
byId("register-again").addEventListener("click", async () => {
  if (!window.confirm(t("app.register_again_confirm"))) return;
  await deviceRecordDelete(owner);
  gate("gate-loading");
  boot();
});

boot();
