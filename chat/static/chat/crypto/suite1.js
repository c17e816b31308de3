/**
 * Suite 1 primitives (docs/protocol.md §3) on WebCrypto and the vendored @hpke/core,
 * mirroring chat/crypto/suite1.py. HPKE: DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 /
 * AES-256-GCM, base mode, single-shot, empty aad. Messages: AES-256-GCM. Signatures:
 * ECDSA P-256/SHA-256 as 64-byte r ‖ s (WebCrypto's own format). No primitive is
 * written here; this module only fixes encodings and parameters.
 * @module
 */

import {
  Aes256Gcm,
  CipherSuite,
  DhkemP256HkdfSha256,
  HkdfSha256,
  HpkeError,
} from "../vendor/hpke-core.js";
import { b64encode, concat, hexEncode, label, lp } from "./encoding.js";
import { BadCiphertext, BadObject, BadSignature } from "./errors.js";

export const SUITE_ID = 1;
export const PUBLIC_KEY_LEN = 65;
export const SIGNATURE_LEN = 64;
export const SCALAR_LEN = 32;
export const HPKE_ENC_LEN = 65;
export const AEAD_TAG_LEN = 16;
export const KEY_ID_LEN = 16;

const subtle = globalThis.crypto.subtle;
const ECDH = { name: "ECDH", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
const HPKE = new CipherSuite({
  kem: new DhkemP256HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** A fresh ArrayBuffer holding exactly these bytes (@hpke/core takes ArrayBuffers). */
function buffer(bytes) {
  return bytes.slice().buffer;
}

/** `n` random bytes from the browser's CSPRNG. */
export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** SHA-256. */
export async function sha256(data) {
  return new Uint8Array(await subtle.digest("SHA-256", data));
}

/** A new ECDH P-256 key pair (the KEM key of a device, a visitor or the team). */
export function generateKemKeyPair({ extractable = false } = {}) {
  return subtle.generateKey(ECDH, extractable, ["deriveBits"]);
}

/** A new ECDSA P-256 key pair. */
export function generateSigKeyPair({ extractable = false } = {}) {
  return subtle.generateKey(ECDSA, extractable, ["sign", "verify"]);
}

function pointCheck(publicKeyBytes) {
  if (
    !(publicKeyBytes instanceof Uint8Array) ||
    publicKeyBytes.length !== PUBLIC_KEY_LEN ||
    publicKeyBytes[0] !== 0x04
  ) {
    throw new BadObject("public key must be a 65-byte uncompressed P-256 point");
  }
}

async function publicImport(publicKeyBytes, algorithm, usages) {
  pointCheck(publicKeyBytes);
  try {
    return await subtle.importKey("raw", publicKeyBytes, algorithm, true, usages);
  } catch (error) {
    throw new BadObject("public key is not a point on P-256", { cause: error });
  }
}

// Verification is hot (every message, every commit): parsed keys are kept, a few.
const verifyKeys = new Map();
const VERIFY_KEYS_MAX = 256;

/** Throw BadObject unless the bytes are a 65-byte uncompressed point on P-256. */
export async function publicKeyCheck(publicKeyBytes) {
  await publicImport(publicKeyBytes, ECDH, []);
}

async function verifyKey(publicKeyBytes) {
  pointCheck(publicKeyBytes);
  const name = b64encode(publicKeyBytes);
  let key = verifyKeys.get(name);
  if (key === undefined) {
    key = await publicImport(publicKeyBytes, ECDSA, ["verify"]);
    if (verifyKeys.size >= VERIFY_KEYS_MAX) verifyKeys.clear();
    verifyKeys.set(name, key);
  }
  return key;
}

function base64url(bytes) {
  return b64encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function privateJwk(scalar, publicKeyBytes) {
  if (!(scalar instanceof Uint8Array) || scalar.length !== SCALAR_LEN) {
    throw new BadObject("private scalar must be 32 bytes");
  }
  pointCheck(publicKeyBytes);
  return {
    kty: "EC",
    crv: "P-256",
    d: base64url(scalar),
    x: base64url(publicKeyBytes.subarray(1, 33)),
    y: base64url(publicKeyBytes.subarray(33, 65)),
  };
}

/**
 * Throw BadObject unless `scalar` is the private key of `publicKeyBytes`. Checked with a
 * signature made by the scalar and verified under the public key, which holds exactly
 * when public = scalar·G (browsers differ in what they check when importing a JWK).
 */
export async function scalarCheck(scalar, publicKeyBytes) {
  let probe;
  try {
    probe = await subtle.importKey("jwk", privateJwk(scalar, publicKeyBytes), ECDSA, false, [
      "sign",
    ]);
  } catch (error) {
    if (error instanceof BadObject) throw error;
    throw new BadObject("private scalar does not match the public key", { cause: error });
  }
  const message = randomBytes(32);
  const signature = await sign(probe, message);
  try {
    await verify(publicKeyBytes, message, signature);
  } catch (error) {
    throw new BadObject("private scalar does not match the public key", { cause: error });
  }
}

async function privateImport(scalar, publicKeyBytes, algorithm, usages, extractable) {
  await scalarCheck(scalar, publicKeyBytes);
  const jwk = privateJwk(scalar, publicKeyBytes);
  return {
    privateKey: await subtle.importKey("jwk", jwk, algorithm, extractable, usages.private),
    publicKey: await publicImport(publicKeyBytes, algorithm, usages.public),
  };
}

/**
 * A KEM (ECDH) CryptoKeyPair from a 32-byte big-endian scalar and its 65-byte public
 * key; throws BadObject when they do not match.
 */
export function importKemPrivate(scalar, publicKeyBytes, { extractable = false } = {}) {
  const usages = { private: ["deriveBits"], public: [] };
  return privateImport(scalar, publicKeyBytes, ECDH, usages, extractable);
}

/**
 * A signing (ECDSA) CryptoKeyPair from a 32-byte scalar and its 65-byte public key;
 * throws BadObject when they do not match.
 */
export function importSigPrivate(scalar, publicKeyBytes, { extractable = false } = {}) {
  const usages = { private: ["sign"], public: ["verify"] };
  return privateImport(scalar, publicKeyBytes, ECDSA, usages, extractable);
}

/** The 32-byte big-endian private scalar of an extractable private key. */
export async function privateScalar(privateKey) {
  const jwk = await subtle.exportKey("jwk", privateKey);
  const binary = atob(jwk.d.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** SEC1 uncompressed point (65 bytes) of a public CryptoKey or a CryptoKeyPair. */
export async function publicBytes(key) {
  const publicKey = key.publicKey ?? key;
  return new Uint8Array(await subtle.exportKey("raw", publicKey));
}

/** `H(str("helpline/v1 key-id") ‖ lp(pk))[0:16]`. */
export async function keyId(publicKeyBytes) {
  return (await sha256(concat(label("key-id"), lp(publicKeyBytes)))).slice(0, KEY_ID_LEN);
}

/** `H(str("helpline/v1 admin-fingerprint") ‖ lp(admin_pk))`, 32 bytes. */
export function adminFingerprint(adminPublicKeyBytes) {
  return sha256(concat(label("admin-fingerprint"), lp(adminPublicKeyBytes)));
}

/** 64 hex digits in 16 groups of 4, as printed on outreach material (synchronous). */
export function fingerprintDisplay(fingerprint) {
  return hexEncode(fingerprint).match(/.{1,4}/g).join(" ");
}

/** ECDSA P-256/SHA-256 signature of `message`, 64 bytes r ‖ s. */
export async function sign(privateKey, message) {
  return new Uint8Array(await subtle.sign(ECDSA_SHA256, privateKey, message));
}

/** Throw BadSignature unless `signature` (r ‖ s) verifies; never returns false. */
export async function verify(publicKeyBytes, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LEN) {
    throw new BadSignature("signature must be 64 bytes r ‖ s");
  }
  const key = await verifyKey(publicKeyBytes);
  if (!(await subtle.verify(ECDSA_SHA256, key, signature, message))) {
    throw new BadSignature("signature does not verify");
  }
}

/** Single-shot HPKE base mode with empty aad; returns `enc ‖ ct`. */
export async function hpkeSeal(publicKeyBytes, info, plaintext) {
  const recipientPublicKey = await publicImport(publicKeyBytes, ECDH, []);
  const { ct, enc } = await HPKE.seal({ recipientPublicKey, info: buffer(info) }, buffer(plaintext));
  return concat(new Uint8Array(enc), new Uint8Array(ct));
}

/** Open `enc ‖ ct` with a KEM CryptoKeyPair (HPKE needs the public half for its
 * kem_context); throws BadCiphertext. */
export async function hpkeOpen(recipientPair, info, wrap) {
  if (!(wrap instanceof Uint8Array) || wrap.length < HPKE_ENC_LEN + AEAD_TAG_LEN) {
    throw new BadCiphertext("wrap too short");
  }
  try {
    const plaintext = await HPKE.open(
      {
        recipientKey: recipientPair,
        enc: buffer(wrap.subarray(0, HPKE_ENC_LEN)),
        info: buffer(info),
      },
      buffer(wrap.subarray(HPKE_ENC_LEN)),
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    if (error instanceof HpkeError) throw new BadCiphertext("wrap does not open", { cause: error });
    throw error;
  }
}

/** HKDF-SHA256 with an empty salt (RFC 5869: 32 zero bytes). */
export async function hkdf(ikm, info, length) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

function aesKey(key, usage) {
  return subtle.importKey("raw", key, "AES-GCM", false, [usage]);
}

/** AES-256-GCM encryption; returns ct ‖ tag. */
export async function aeadEncrypt(key, nonce, plaintext, aad) {
  const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
  return new Uint8Array(await subtle.encrypt(params, await aesKey(key, "encrypt"), plaintext));
}

/** AES-256-GCM decryption; throws BadCiphertext. */
export async function aeadDecrypt(key, nonce, ciphertext, aad) {
  const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
  try {
    return new Uint8Array(await subtle.decrypt(params, await aesKey(key, "decrypt"), ciphertext));
  } catch (error) {
    throw new BadCiphertext("message does not decrypt", { cause: error });
  }
}
