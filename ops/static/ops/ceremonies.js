/**
 * The coordinator's key ceremonies, done in the browser (the Python twin is
 * chat/keyring.py): certify a device, make and announce a team key, wrap a team key to
 * devices that lack it. The admin private key and team private scalars exist only in
 * this page's memory; the server receives signatures, announcements and wraps.
 * @module
 */

import {
  adminFingerprint,
  b64encode,
  certSign,
  certVerify,
  generateKemKeyPair,
  privateScalar,
  publicBytes,
  teamKeySign,
  teamKeyVerify,
  teamWrapSeal,
} from "../chat/crypto/index.js";
import { teamWrapOpenWith } from "../chat/protocol/staff.js";
import { wireForm } from "../chat/protocol/wire.js";
import { api } from "./http.js";
import { wrapTarget, wrapTargetMissing } from "./wrap-keys.js";

const DAY = 86400;
export const CERT_DAYS = 365;
export const TEAM_KEY_DAYS = 90;

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * Sign a device's certificate with the loaded admin key and hand it to the server,
 * which verifies it. `device` is a setup-page device (bytes decoded).
 */
export async function deviceCertify({ admin, device, days = CERT_DAYS }) {
  const cert = await certSign({
    adminKey: admin.pair.privateKey,
    deviceId: device.device_id,
    role: device.role,
    kemPk: device.kem_pk,
    sigPk: device.sig_pk,
    notAfter: nowSeconds() + days * DAY,
  });
  return api(`/devices/${device.device_id}/certify`, {
    method: "POST",
    body: { not_after: cert.not_after, signature: b64encode(cert.sig) },
  });
}

export function deviceRevoke(device) {
  return api(`/devices/${device.device_id}/revoke`, { method: "POST", body: {} });
}

/**
 * The devices among `devices` whose certificate verifies under `adminPk` as staff
 * devices, with the keys their certificate names. A team key is only ever wrapped to
 * these: the server's word that a device is certified is not enough.
 */
export async function staffVerified(devices, adminPk) {
  const verified = [];
  for (const device of devices) {
    if (!device.cert || device.cert.device_id !== device.device_id) continue;
    try {
      await certVerify(device.cert, { adminPk, now: nowSeconds(), role: "staff" });
    } catch {
      continue;
    }
    verified.push({ ...device, kem_pk: device.cert.kem_pk, sig_pk: device.cert.sig_pk });
  }
  return verified;
}

/**
 * The admin public key this page may trust: the loaded admin key, else the server's when
 * its fingerprint is the one this browser's device pinned when it was certified.
 */
export async function trustedAdminPk({ admin, serverAdmin, record }) {
  if (admin !== null) return admin.publicKey;
  if (serverAdmin === null || !record?.adminFingerprint) return null;
  const fingerprint = await adminFingerprint(serverAdmin.publicKey);
  return bytesEqual(fingerprint, record.adminFingerprint) ? serverAdmin.publicKey : null;
}

/**
 * Where a version can go among `devices`: `targets` ({device, kemPk}: certificate
 * verified under `adminPk`, a KEM key free for it) and `missed` ({device, reason}:
 * "not_verified", or wrap-keys.js wrapTargetMissing's reason), so the page can say who
 * did not get it, why, and what to do.
 */
async function wrapPlan(devices, adminPk) {
  const verified = await staffVerified(devices, adminPk);
  const ids = new Set(verified.map((device) => device.device_id));
  const missed = devices
    .filter((device) => !ids.has(device.device_id))
    .map((device) => ({ device, reason: "not_verified" }));
  const targets = [];
  for (const device of verified) {
    const kemPk = await wrapTarget(device);
    if (kemPk === null) missed.push({ device, reason: wrapTargetMissing(device) });
    else targets.push({ device, kemPk });
  }
  return { targets, missed };
}

/**
 * A new team key version (the first, or a rotation): made here, announced with the admin
 * key, its private scalar wrapped to every given certified staff device that has a KEM
 * key free for it (wrap-keys.js wrapTarget), then forgotten. Returns the server's answer
 * with `given` (the devices wrapped to) and `missed` (see wrapPlan).
 */
export async function teamKeyCreate({ admin, version, devices, days = TEAM_KEY_DAYS }) {
  const { targets, missed } = await wrapPlan(devices, admin.publicKey);
  const team = await generateKemKeyPair({ extractable: true });
  const teamPk = await publicBytes(team);
  const teamScalar = await privateScalar(team.privateKey);
  try {
    const announcement = await teamKeySign({
      adminKey: admin.pair.privateKey,
      version,
      pk: teamPk,
      notAfter: nowSeconds() + days * DAY,
    });
    const wraps = {};
    const wrapKeys = {};
    for (const { device, kemPk: deviceKemPk } of targets) {
      wraps[device.device_id] = b64encode(
        await teamWrapSeal({ teamScalar, teamPk, version, deviceId: device.device_id, deviceKemPk }),
      );
      wrapKeys[device.device_id] = b64encode(deviceKemPk);
    }
    const answer = await api("/team-keys", {
      method: "POST",
      body: { announcement: wireForm(announcement), wraps, wrap_keys: wrapKeys },
    });
    return { ...answer, given: targets.map((target) => target.device), missed };
  } finally {
    teamScalar.fill(0);
  }
}

/**
 * Give `devices` team key `announcement.version`, re-wrapped from this browser's own
 * device: open its wrap (which proves the scalar is the announced key's), seal to each.
 * Returns `{given, missed}`: the devices that got it, and those that did not with why
 * (see wrapPlan).
 * The announcement and each device's certificate must verify under `adminPk` (see
 * trustedAdminPk), so a team key the server made up is never spread, and never to a
 * device the admin key did not certify.
 */
export async function teamKeyRewrap({ record, announcement, wrap, devices, adminPk }) {
  if (adminPk === null) throw new TypeError("no trusted admin key");
  await teamKeyVerify(announcement, { adminPk });
  const { targets, missed } = await wrapPlan(devices, adminPk);
  const { scalar } = await teamWrapOpenWith(record, wrap, announcement);
  const given = [];
  try {
    for (const { device, kemPk: deviceKemPk } of targets) {
      const ct = await teamWrapSeal({
        teamScalar: scalar,
        teamPk: announcement.pk,
        version: announcement.version,
        deviceId: device.device_id,
        deviceKemPk,
      });
      await api(`/team-keys/${announcement.version}/wraps`, {
        method: "POST",
        body: { device_id: device.device_id, ct: b64encode(ct), kem_pk: b64encode(deviceKemPk) },
      });
      given.push(device);
    }
    return { given, missed };
  } finally {
    scalar.fill(0);
  }
}

/** Whether the server's admin public key is the loaded one. */
export function adminMatches(admin, serverPublicKey) {
  return admin !== null && serverPublicKey !== null && bytesEqual(admin.publicKey, serverPublicKey);
}

/** Equality of two public byte strings (nothing secret: no need for constant time). */
export function bytesEqual(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
