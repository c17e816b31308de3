/**
 * JSON frames ↔ objects (docs/protocol.md §2.2, §8). The only place that converts base64:
 * on the way in, the binary fields are decoded by name; on the way out, every Uint8Array
 * becomes standard padded base64. Objects keep the wire's snake_case field names.
 * @module
 */

import { BadObject, b64decode, b64encode } from "../crypto/index.js";

/** Fields that hold base64 on the wire wherever they appear. (A `wrap` is an object:
 * `{key_id, ct}` in a `commit` frame, `{kem_pk, ct}` in a team-key entry.) */
const BINARY_FIELDS = new Set([
  "admin_pk",
  "ct",
  "key_commitment",
  "key_id",
  "kem_pk",
  "lookup",
  "nonce",
  "pk",
  "prev_commit_hash",
  "sealed",
  "sig",
  "sig_pk",
  "signature",
  "stream",
  "token",
  "visitor_kem_pk",
  "visitor_sig_pk",
]);

/** A frame could not be read. */
export class WireError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "WireError";
  }
}

function decodeValue(value, name) {
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, null));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, decodeValue(item, key)]),
    );
  }
  if (typeof value === "string" && BINARY_FIELDS.has(name)) {
    try {
      return b64decode(value);
    } catch (error) {
      if (error instanceof BadObject) throw new WireError(`${name} is not base64`, { cause: error });
      throw error;
    }
  }
  return value;
}

function encodeValue(value) {
  if (value instanceof Uint8Array) return b64encode(value);
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, encodeValue(item)]),
    );
  }
  return value;
}

/** Parse one server frame (a JSON text) into an object with bytes as Uint8Array. */
export function frameDecode(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch (error) {
    throw new WireError("frame is not JSON", { cause: error });
  }
  if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") {
    throw new WireError("frame is not an object with a type");
  }
  return decodeValue(frame, null);
}

/** Encode one client frame (an object, bytes as Uint8Array) as JSON text. */
export function frameEncode(frame) {
  return JSON.stringify(encodeValue(frame));
}

/** An object (a commit, a certificate, an envelope…) in its JSON wire form. */
export function wireForm(value) {
  return encodeValue(value);
}

/** An object from its JSON wire form (base64 fields decoded by name). */
export function fromWireForm(value) {
  return decodeValue(value, null);
}
