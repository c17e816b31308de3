/**
 * Field checks shared by the crypto objects (mirrors chat/crypto/schema.py, where
 * msgspec enforces them while decoding). Objects from the wire pass through these before
 * any byte string is built from them; each throws BadObject.
 * @module
 */

import { BadObject } from "./errors.js";
import { SUITE_ID } from "./suite1.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID_RE = new RegExp(`^${UUID}$`);
const PARTY_RE = new RegExp(`^(?:visitor|${UUID})$`);
const CONTENT_TYPE_RE = /^[a-z0-9._/-]{1,32}$/;

/** `value` is a Uint8Array of `min` (to `max`) bytes. */
export function bytesField(value, name, min, max = min) {
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    const size = min === max ? `${min}` : `${min}–${max}`;
    throw new BadObject(`${name} must be ${size} bytes`);
  }
}

/** `value` is an integer in 0 … `max` (2^53 − 1 by default). */
export function intField(value, name, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new BadObject(`${name} must be an integer in 0…${max}`);
  }
}

/** `value` is a lowercase UUID string. */
export function uuidField(value, name) {
  if (typeof value !== "string" || !UUID_RE.test(value)) {
    throw new BadObject(`${name} must be a lowercase UUID`);
  }
}

/** `value` is "visitor" or a device id. */
export function partyField(value, name) {
  if (typeof value !== "string" || !PARTY_RE.test(value)) {
    throw new BadObject(`${name} must be "visitor" or a device id`);
  }
}

/** `value` is a content type token (docs/protocol.md §6.2). */
export function contentTypeField(value) {
  if (typeof value !== "string" || !CONTENT_TYPE_RE.test(value)) {
    throw new BadObject("content_type must be 1–32 characters of a-z 0-9 . _ / -");
  }
}

/** The object names the suite this code implements. */
export function suiteField(value) {
  if (value !== SUITE_ID) throw new BadObject("unsupported suite");
}
