/**
 * The visitor's return code (docs/protocol.md §10; mirrors chat/crypto/return_code.py).
 * 40 digits in 10 groups of 4: 39 random digits (129.5 bits) and a Damm check digit, so
 * a wrong digit or two swapped neighbours are caught here, before anything is sent. The
 * code never leaves the browser: it gives the lookup id (sent) and the key that seals
 * what reopens the conversation (never sent).
 * @module
 */

import { concat, label, lp, lps, utf8Encode } from "./encoding.js";
import { BadObject } from "./errors.js";
import { aeadDecrypt, aeadEncrypt, hkdf, randomBytes } from "./suite1.js";

export const RANDOM_DIGITS = 39;
export const CODE_DIGITS = RANDOM_DIGITS + 1;
const GROUP_DIGITS = 4;
const LOOKUP_LEN = 32;
const KEY_LEN = 32;
const NONCE_LEN = 12;
const SEALED_MIN = NONCE_LEN + 16;
const SEALED_MAX = 1024;
// CR too: a code pasted from a text with CRLF line ends is the same code.
const SEPARATORS = new Set([" ", "\t", "\r", "\n", "-", ".", ",", "_", "\u00a0", "\u3000"]);
// A random byte gives a digit when it is below 250 (= 25 × 10): uniform modulo 10.
const USABLE_BYTE_BELOW = 250;
const FULL_WIDTH_ZERO = 0xff10;
const STATE_LABEL = "helpline/v1 return-code state";
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** A typed code that is not 40 digits with a right check digit (a typo). */
export class CodeInvalid extends Error {
  constructor(message) {
    super(message);
    this.name = "CodeInvalid";
  }
}

export function dammDigit(digits) {
  let interim = 0;
  for (const digit of digits) interim = DAMM[interim][Number(digit)];
  return String(interim);
}

/**
 * The code these random bytes make (§10.1): the first 39 bytes below 250, each modulo
 * 10, then the check digit. Throws RangeError when fewer than 39 are usable.
 */
export function codeFromRandom(random) {
  let digits = "";
  for (const byte of random) {
    if (byte < USABLE_BYTE_BELOW && digits.length < RANDOM_DIGITS) digits += String(byte % 10);
  }
  if (digits.length < RANDOM_DIGITS) {
    throw new RangeError(`a code needs ${RANDOM_DIGITS} random bytes below ${USABLE_BYTE_BELOW}`);
  }
  return digits + dammDigit(digits);
}

/** A new code: 39 uniformly random digits (bytes ≥ 250 are skipped) and its check. */
export function codeGenerate() {
  let random = new Uint8Array(0);
  while (random.filter((byte) => byte < USABLE_BYTE_BELOW).length < RANDOM_DIGITS) {
    random = concat(random, randomBytes(64));
  }
  return codeFromRandom(random);
}

/** The 40 ASCII digits of a typed code; throws CodeInvalid on a typo. */
export function codeNormalise(typed) {
  let code = "";
  for (const char of String(typed)) {
    const point = char.codePointAt(0);
    if (char >= "0" && char <= "9") code += char;
    else if (point >= FULL_WIDTH_ZERO && point <= FULL_WIDTH_ZERO + 9) {
      code += String(point - FULL_WIDTH_ZERO);
    } else if (!SEPARATORS.has(char)) throw new CodeInvalid("a return code has only digits");
  }
  if (code.length !== CODE_DIGITS) throw new CodeInvalid(`a return code has ${CODE_DIGITS} digits`);
  if (dammDigit(code) !== "0") throw new CodeInvalid("the check digit does not match");
  return code;
}

/** 10 groups of 4 digits separated by spaces. */
export function codeDisplay(code) {
  return code.match(new RegExp(`.{1,${GROUP_DIGITS}}`, "g")).join(" ");
}

/** `{lookup, key}`: HKDF of the 40 ASCII digits with the labels "return-code lookup"
 *  and "return-code key". */
export async function codeKeys(typed) {
  const ikm = utf8Encode(codeNormalise(typed));
  const [lookup, key] = await Promise.all([
    hkdf(ikm, label("return-code lookup"), LOOKUP_LEN),
    hkdf(ikm, label("return-code key"), KEY_LEN),
  ]);
  return { lookup, key };
}

/** `{conversationId, token, kemScalar, kemPk, sigScalar, sigPk}` as bytes. */
export function stateBytes(state) {
  return concat(
    label("return-code state"),
    lps(state.conversationId),
    lp(state.token),
    lp(state.kemScalar),
    lp(state.kemPk),
    lp(state.sigScalar),
    lp(state.sigPk),
  );
}

export function sealAad(lookup) {
  return concat(label("return-code seal"), lp(lookup));
}

/** `nonce ‖ AES-256-GCM(key, nonce, stateBytes, sealAad(lookup))`. */
export async function stateSeal(keys, state, { nonce = randomBytes(NONCE_LEN) } = {}) {
  const ct = await aeadEncrypt(keys.key, nonce, stateBytes(state), sealAad(keys.lookup));
  return concat(nonce, ct);
}

/** The state sealed under this code; throws BadCiphertext or BadObject. The key pairs'
 *  scalars are checked against their public keys when imported (importKemPrivate). */
export async function stateOpen(keys, sealed) {
  if (!(sealed instanceof Uint8Array) || sealed.length < SEALED_MIN || sealed.length > SEALED_MAX) {
    throw new BadObject("sealed state has a wrong length");
  }
  const plain = await aeadDecrypt(
    keys.key,
    sealed.subarray(0, NONCE_LEN),
    sealed.subarray(NONCE_LEN),
    sealAad(keys.lookup),
  );
  return stateParse(plain);
}

function stateParse(plain) {
  const reader = fieldReader(plain);
  if (new TextDecoder().decode(reader.next()) !== STATE_LABEL) {
    throw new BadObject("not a return-code state");
  }
  const state = {
    conversationId: new TextDecoder().decode(reader.next()),
    token: reader.next(32),
    kemScalar: reader.next(32),
    kemPk: reader.next(65),
    sigScalar: reader.next(32),
    sigPk: reader.next(65),
  };
  reader.end();
  return state;
}

function fieldReader(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  return {
    next(length = null) {
      if (at + 4 > data.length) throw new BadObject("truncated return-code state");
      const size = view.getUint32(at);
      const start = at + 4;
      at = start + size;
      if (at > data.length || (length !== null && size !== length)) {
        throw new BadObject("bad field in return-code state");
      }
      return data.slice(start, at);
    },
    end() {
      if (at !== data.length) throw new BadObject("trailing bytes in return-code state");
    },
  };
}
