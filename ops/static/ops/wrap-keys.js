/**
 * This staff device's KEM keys for team wraps (protocol.md §4.4). Each team
 * key version is wrapped to a KEM key that carries no other version, so that when the
 * version is destroyed the device deletes that KEM key, and a backup's copy of the wrap
 * opens no more. The device's record (device-store.js) holds `kemPair` (its
 * certificate's KEM key, null once retired, its public half then kept as
 * `retiredKemPk`) and `wrapKeys` (fresh KEM key pairs it published since, each signed
 * by its certified signing key). Private keys are non-extractable, as for the others.
 * @module
 */

import {
  b64encode,
  generateKemKeyPair,
  hexEncode,
  keyId,
  publicBytes,
  wrapKeySign,
  wrapKeyVerify,
} from "../chat/crypto/index.js";
import { deviceRecordPut } from "./device-store.js";
import { api } from "./http.js";

async function keyIdHex(pair) {
  return hexEncode(await keyId(await publicBytes(pair)));
}

/**
 * Delete the KEM keys the server retired with a destroyed team key version, then make
 * and publish a fresh wrap key when none is waiting. Returns the record, saved.
 * `status` is the device's view from the API (device.js deviceStatus).
 */
export async function wrapKeysTidy(record, status) {
  if (status.role !== "staff" || status.state !== "certified") return record;
  const retired = new Set(status.retired_wrap_key_ids);
  let { kemPair, retiredKemPk = null } = record;
  if (kemPair && retired.has(await keyIdHex(kemPair))) {
    retiredKemPk = await publicBytes(kemPair);
    kemPair = null;
  }
  const wrapKeys = [];
  for (const pair of record.wrapKeys ?? []) {
    if (!retired.has(await keyIdHex(pair))) wrapKeys.push(pair);
  }
  record = { ...record, kemPair, retiredKemPk, wrapKeys };
  await deviceRecordPut(record);
  if (!status.wrap_key_waiting) record = await wrapKeyPublish(record);
  return record;
}

/** A fresh KEM key, kept in the record first (a published key whose private half was
 * lost would only cost this device the next version), then signed and published. */
async function wrapKeyPublish(record) {
  const pair = await generateKemKeyPair({ extractable: false });
  const kemPk = await publicBytes(pair);
  const signature = await wrapKeySign(record.sigPair.privateKey, {
    deviceId: record.deviceId,
    kemPk,
  });
  const withKey = { ...record, wrapKeys: [...record.wrapKeys, pair] };
  await deviceRecordPut(withKey);
  try {
    await api(`/devices/${record.deviceId}/wrap-key`, {
      method: "POST",
      body: { kem_pk: b64encode(kemPk), signature: b64encode(signature) },
    });
  } catch (error) {
    await deviceRecordPut(record);
    throw error;
  }
  return withKey;
}

/**
 * Where the coordinator's browser may wrap a new team key version for `device` (a
 * setup-page device whose certificate verified): its published wrap key if the
 * signature is its own, else its certificate's KEM key if no version was ever wrapped
 * to it, else nowhere yet (null: it gets the version once it has published one).
 */
export async function wrapTarget(device) {
  const next = device.next_wrap_key;
  if (next) {
    try {
      await wrapKeyVerify({
        sigPk: device.cert.sig_pk,
        deviceId: device.device_id,
        kemPk: next.kem_pk,
        sig: next.signature,
      });
      return next.kem_pk;
    } catch {
      return null;
    }
  }
  return device.cert_kem_used ? null : device.cert.kem_pk;
}

/** Why wrapTarget found nowhere for `device`: "no_wrap_key" (it has not published one
 * since its last was used; its browser publishes one at its next start) or
 * "bad_wrap_key" (the one published does not verify under its certificate). */
export function wrapTargetMissing(device) {
  return device.next_wrap_key ? "bad_wrap_key" : "no_wrap_key";
}

/** Whether `device` can be given a new version now, as far as the server's word goes
 * (wrapTarget checks the signature when it is done). */
export function wrapTargetListed(device) {
  return Boolean(device.next_wrap_key) || !device.cert_kem_used;
}
