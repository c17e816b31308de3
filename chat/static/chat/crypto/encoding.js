/**
 * Byte-string building blocks of protocol v1 (docs/protocol.md §2), mirroring
 * chat/crypto/encoding.py. Everything signed, hashed, or bound into HPKE `info` or AEAD
 * `aad` is built only from these, so the Python and browser sides cannot drift.
 * @module
 */

import { BadObject } from "./errors.js";

const utf8 = new TextEncoder();
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TWO_32 = 2 ** 32;

function unsigned(n, max, what) {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new BadObject(`${what} out of range: ${n}`);
  }
  return n;
}

/** One byte. */
export function u8(n) {
  return Uint8Array.of(unsigned(n, 0xff, "u8"));
}

/** 4 bytes, big-endian. */
export function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, unsigned(n, TWO_32 - 1, "u32"));
  return out;
}

/** 8 bytes, big-endian; JavaScript numbers are exact up to 2^53 − 1, as the spec allows. */
export function u64(n) {
  unsigned(n, Number.MAX_SAFE_INTEGER, "u64");
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / TWO_32));
  view.setUint32(4, n % TWO_32);
  return out;
}

/** Concatenation of byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Length-prefixed bytes: `u32(len) ‖ data`. */
export function lp(data) {
  if (!(data instanceof Uint8Array)) throw new BadObject("expected bytes");
  return concat(u32(data.length), data);
}

/** UTF-8 bytes of a string. */
export function utf8Encode(text) {
  if (typeof text !== "string") throw new BadObject("expected a string");
  return utf8.encode(text);
}

/** Length-prefixed UTF-8 string (`str()` in the spec); never one holding NUL (§2.1). */
export function lps(text) {
  if (typeof text === "string" && text.includes("\u0000")) {
    throw new BadObject("a str() field holds NUL");
  }
  return lp(utf8Encode(text));
}

/** The domain-separation label that starts every bound byte string. */
export function label(purpose) {
  return lps(`helpline/v1 ${purpose}`);
}

/** Constant-shape equality of two byte arrays (lengths are not secret here). */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Standard base64 with padding. */
export function b64encode(data) {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Strict standard padded base64 (RFC 4648 §4): any other alphabet, missing padding or
 * whitespace throws BadObject. */
export function b64decode(text) {
  if (typeof text !== "string" || !B64_RE.test(text)) {
    throw new BadObject("not standard padded base64");
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  // atob ignores non-zero trailing bits; Python's decoder does too, so both accept the
  // same strings. Re-encoding would make the check stricter than the Python side.
  return out;
}

/** Lowercase hex of bytes. */
export function hexEncode(data) {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a lowercase or uppercase hex string of even length. */
export function hexDecode(text) {
  if (typeof text !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new BadObject("not hex");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
