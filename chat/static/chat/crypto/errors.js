/**
 * Typed errors of the crypto layer (mirrors chat/crypto/errors.py). Every crypto
 * function throws one of these instead of returning false.
 * @module
 */

/** Something did not verify, open, or parse. */
export class CryptoError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A signature does not verify under the expected key. */
export class BadSignature extends CryptoError {}

/** A wrap or message did not open (wrong key, tampered bytes or bound field). */
export class BadCiphertext extends CryptoError {}

/** An object is malformed or breaks a rule of docs/protocol.md. */
export class BadObject extends CryptoError {}
