/**
 * Device certificates, team-key announcements and team wraps (docs/protocol.md §4),
 * mirroring chat/crypto/certs.py.
 * @module
 */

import { concat, label, lp, lps, u8, u32, u64 } from "./encoding.js";
import { BadObject } from "./errors.js";
import { bytesField, intField, suiteField, uuidField } from "./schema.js";
import {
  PUBLIC_KEY_LEN,
  SIGNATURE_LEN,
  SUITE_ID,
  hpkeOpen,
  hpkeSeal,
  importKemPrivate,
  keyId,
  publicBytes,
  publicKeyCheck,
  scalarCheck,
  sign,
  verify,
} from "./suite1.js";

const ROLES = ["staff", "interpreter"];

/** The signed bytes of a device certificate. */
export function certTbs({ deviceId, role, kemPk, sigPk, notAfter }) {
  return concat(
    label("device-cert"),
    u8(SUITE_ID),
    lps(deviceId),
    lps(role),
    lp(kemPk),
    lp(sigPk),
    u64(notAfter),
  );
}

/** Certify a device with the admin's private signing key; returns the certificate. */
export async function certSign({ adminKey, deviceId, role, kemPk, sigPk, notAfter }) {
  const tbs = certTbs({ deviceId, role, kemPk, sigPk, notAfter });
  return {
    suite: SUITE_ID,
    device_id: deviceId,
    role,
    kem_pk: kemPk,
    sig_pk: sigPk,
    not_after: notAfter,
    sig: await sign(adminKey, tbs),
  };
}

/**
 * Throw unless the certificate is signed by `adminPk`, unexpired at `now` (Unix seconds)
 * and, when `role` is given, of that role.
 */
export async function certVerify(cert, { adminPk, now, role = null }) {
  suiteField(cert.suite);
  uuidField(cert.device_id, "device_id");
  if (!ROLES.includes(cert.role)) throw new BadObject("role must be staff or interpreter");
  intField(cert.not_after, "not_after");
  bytesField(cert.sig, "sig", SIGNATURE_LEN);
  await publicKeyCheck(cert.kem_pk);
  await publicKeyCheck(cert.sig_pk);
  const tbs = certTbs({
    deviceId: cert.device_id,
    role: cert.role,
    kemPk: cert.kem_pk,
    sigPk: cert.sig_pk,
    notAfter: cert.not_after,
  });
  await verify(adminPk, tbs, cert.sig);
  if (now >= cert.not_after) throw new BadObject("certificate expired");
  if (role !== null && cert.role !== role) throw new BadObject(`certificate is not of role ${role}`);
}

/** The signed bytes of a team-key announcement. */
export function teamKeyTbs({ version, pk, notAfter }) {
  return concat(label("team-key"), u8(SUITE_ID), u32(version), lp(pk), u64(notAfter));
}

/** Announce a team key version with the admin's private signing key. */
export async function teamKeySign({ adminKey, version, pk, notAfter }) {
  return {
    suite: SUITE_ID,
    version,
    pk,
    not_after: notAfter,
    sig: await sign(adminKey, teamKeyTbs({ version, pk, notAfter })),
  };
}

/**
 * Throw unless the announcement is signed by `adminPk` and, when `now` is given, not past
 * its `not_after` (old versions stay readable: staff omit `now` to open them).
 */
export async function teamKeyVerify(announcement, { adminPk, now = null }) {
  suiteField(announcement.suite);
  intField(announcement.version, "version", 2 ** 32 - 1);
  intField(announcement.not_after, "not_after");
  bytesField(announcement.pk, "pk", PUBLIC_KEY_LEN);
  await publicKeyCheck(announcement.pk);
  const tbs = teamKeyTbs({
    version: announcement.version,
    pk: announcement.pk,
    notAfter: announcement.not_after,
  });
  await verify(adminPk, tbs, announcement.sig);
  if (now !== null && now >= announcement.not_after) {
    throw new BadObject("team key past its not_after");
  }
}

/** The bytes a staff socket signs to prove it holds the device's signing key (§8.3). */
export function deviceAuthMessage({ nonce, deviceId }) {
  return concat(label("device-auth"), lp(nonce), lps(deviceId));
}

/** Sign the server's `hello` nonce for `device.auth`; returns the 64-byte signature. */
export function deviceAuthSign(sigKey, { nonce, deviceId }) {
  return sign(sigKey, deviceAuthMessage({ nonce, deviceId }));
}

/** HPKE `info` of a team wrap. */
export function teamWrapInfo({ version, teamKeyId, deviceId, deviceKemKeyId }) {
  return concat(
    label("team-wrap"),
    u8(SUITE_ID),
    u32(version),
    lp(teamKeyId),
    lps(deviceId),
    lp(deviceKemKeyId),
  );
}

/** Wrap the team private scalar to a staff device's KEM key; returns `enc ‖ ct` (113 bytes). */
export async function teamWrapSeal({ teamScalar, teamPk, version, deviceId, deviceKemPk }) {
  await scalarCheck(teamScalar, teamPk);
  const info = teamWrapInfo({
    version,
    teamKeyId: await keyId(teamPk),
    deviceId,
    deviceKemKeyId: await keyId(deviceKemPk),
  });
  return hpkeSeal(deviceKemPk, info, teamScalar);
}

/**
 * Open a team wrap with this device's KEM key pair. The scalar must be the private key of
 * the announced team public key (that check is what authenticates the wrap). Returns the
 * team KEM CryptoKeyPair (non-extractable) and the scalar.
 */
export async function teamWrapOpen(wrap, { deviceKemPair, deviceId, announcement }) {
  const info = teamWrapInfo({
    version: announcement.version,
    teamKeyId: await keyId(announcement.pk),
    deviceId,
    deviceKemKeyId: await keyId(await publicBytes(deviceKemPair)),
  });
  const scalar = await hpkeOpen(deviceKemPair, info, wrap);
  try {
    return { pair: await importKemPrivate(scalar, announcement.pk), scalar };
  } catch (error) {
    throw new BadObject("team wrap does not hold the announced team key", { cause: error });
  }
}

/** The signed bytes of a staff device's wrap key (§4.4): a fresh KEM key of its own that
 * the next team key version is to be wrapped to. */
export function wrapKeyTbs({ deviceId, kemPk }) {
  return concat(label("wrap-key"), u8(SUITE_ID), lps(deviceId), lp(kemPk));
}

/** Sign a fresh KEM public key with this device's signing key. */
export function wrapKeySign(sigKey, { deviceId, kemPk }) {
  return sign(sigKey, wrapKeyTbs({ deviceId, kemPk }));
}

/** Raise unless `sig` is the device's signature (its certified `sig_pk`) of `kemPk`. */
export async function wrapKeyVerify({ sigPk, deviceId, kemPk, sig }) {
  bytesField(kemPk, "kem_pk", PUBLIC_KEY_LEN);
  bytesField(sig, "signature", SIGNATURE_LEN);
  await publicKeyCheck(kemPk);
  await verify(sigPk, wrapKeyTbs({ deviceId, kemPk }), sig);
}
