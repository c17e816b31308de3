/**
 * This browser as a staff device: make its keys on first visit, register their public
 * halves, and read what the server says of it (certificate, team-key wraps).
 * @module
 */

import {
  b64decode,
  b64encode,
  fingerprintDisplay,
  generateKemKeyPair,
  generateSigKeyPair,
  keyId,
  publicBytes,
} from "../chat/crypto/index.js";
import { StaffSession } from "../chat/protocol/staff.js";
import { fromWireForm } from "../chat/protocol/wire.js";
import { deviceRecordGet, deviceRecordPut } from "./device-store.js";
import { api } from "./http.js";

/** A label the coordinator can recognise the browser by ("Firefox · Windows"). */
export function browserLabel() {
  const agent = navigator.userAgent;
  const browsers = [
    ["Edg/", "Edge"],
    ["Firefox/", "Firefox"],
    ["Chrome/", "Chrome"],
    ["Safari/", "Safari"],
  ];
  const systems = [
    ["Android", "Android"],
    ["iPhone", "iPhone"],
    ["iPad", "iPad"],
    ["Windows", "Windows"],
    ["Mac OS", "macOS"],
    ["CrOS", "ChromeOS"],
    ["Linux", "Linux"],
  ];
  const browser = browsers.find(([token]) => agent.includes(token))?.[1] ?? "Browser";
  const system = systems.find(([token]) => agent.includes(token))?.[1];
  return system ? `${browser} · ${system}` : browser;
}

/**
 * The short fingerprint people compare before a device is certified: key_id(kem_pk ‖
 * sig_pk), 32 hex digits in groups of 4. It covers both keys the certificate binds: a
 * fingerprint of the signing key alone would let a server swap in its own KEM key, get
 * it certified, and receive the team key wrapped to it.
 */
export async function deviceFingerprint(kemPk, sigPk) {
  const both = new Uint8Array(kemPk.length + sigPk.length);
  both.set(kemPk);
  both.set(sigPk, kemPk.length);
  return fingerprintDisplay(await keyId(both));
}

/**
 * This user's device in this browser: the stored record, or new keys (private halves
 * non-extractable) registered with the server as a pending device.
 */
export async function deviceEnsure({ owner, role = "staff", label = browserLabel() }) {
  const existing = await deviceRecordGet(owner);
  if (existing !== null) return existing;
  const kemPair = await generateKemKeyPair({ extractable: false });
  const sigPair = await generateSigKeyPair({ extractable: false });
  const registered = await api("/devices", {
    method: "POST",
    body: {
      role,
      label,
      kem_pk: b64encode(await publicBytes(kemPair)),
      sig_pk: b64encode(await publicBytes(sigPair)),
    },
  });
  const record = {
    owner: String(owner),
    deviceId: registered.device_id,
    kemPair,
    sigPair,
    adminFingerprint: null,
    createdAt: Date.now(),
  };
  await deviceRecordPut(record);
  return record;
}

/** An admin key as the API gives it, with bytes decoded (or null). */
export function adminKeyDecode(adminKey) {
  if (!adminKey) return null;
  return {
    publicKey: b64decode(adminKey.public_key),
    fingerprint: b64decode(adminKey.fingerprint),
  };
}

/**
 * What the server says of one of our devices: `{device_id, role, state, cert, adminKey,
 * team_keys: [{announcement, wrap}]}`, bytes as Uint8Array. `state` is pending,
 * certified, expired, invalid (signed by an earlier admin key) or revoked.
 */
export async function deviceStatus(deviceId) {
  const data = await api(`/devices/${deviceId}`);
  const adminKey = adminKeyDecode(data.admin_key);
  delete data.admin_key;
  return { ...fromWireForm(data), adminKey };
}

/**
 * A StaffSession (chat/static/chat/protocol/staff.js) for this device's record, on this
 * page's origin; `callbacks` are the session's `on…` handlers. A staff device brings its
 * wrap keys (wrap-keys.js); an interpreter's record has none.
 */
export function staffSessionFor({ record, adminFingerprint, label, publicRole = null, ...callbacks }) {
  return new StaffSession({
    baseUrl: location.origin,
    device: {
      deviceId: record.deviceId,
      kemPair: record.kemPair,
      sigPair: record.sigPair,
      wrapKeys: record.wrapKeys ?? [],
      retiredKemPk: record.retiredKemPk ?? null,
    },
    adminFingerprint,
    label,
    role: publicRole,
    ...callbacks,
  });
}
