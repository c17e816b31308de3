/**
 * Staff notes (docs/protocol.md §6.4): a hand-over or transfer note, written by a staff
 * member for colleagues only, sealed to the current team key in the browser. The server
 * stores `enc ‖ ct` with its team key version and never sees the text.
 * @module
 */

import { concat, label, lps, u8, u32 } from "./encoding.js";
import { BadCiphertext, BadObject } from "./errors.js";
import { intField, uuidField } from "./schema.js";
import { PUBLIC_KEY_LEN, SUITE_ID, hpkeOpen, hpkeSeal } from "./suite1.js";

export const NOTE_MAX_BYTES = 4000;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** HPKE `info` of a note: `str("helpline/v1 note") ‖ u8(suite) ‖ str(conversation_id) ‖
 * u32(team_key_version)` (synchronous). */
export function noteInfo({ conversationId, teamKeyVersion }) {
  uuidField(conversationId, "conversation_id");
  intField(teamKeyVersion, "team_key_version", 2 ** 32 - 1);
  return concat(label("note"), u8(SUITE_ID), lps(conversationId), u32(teamKeyVersion));
}

/** Seal a note's text to the team public key `teamPk` of version `teamKeyVersion`;
 * returns `enc ‖ ct`. Throws BadObject for an empty text or one over 4,000 bytes. */
export async function noteSeal(text, { conversationId, teamKeyVersion, teamPk }) {
  if (typeof text !== "string" || !text.trim()) throw new BadObject("a note needs some text");
  const plaintext = utf8.encode(text);
  if (plaintext.length > NOTE_MAX_BYTES) {
    throw new BadObject(`a note is at most ${NOTE_MAX_BYTES} bytes of UTF-8`);
  }
  if (!(teamPk instanceof Uint8Array) || teamPk.length !== PUBLIC_KEY_LEN) {
    throw new BadObject("teamPk must be a 65-byte public key");
  }
  return hpkeSeal(teamPk, noteInfo({ conversationId, teamKeyVersion }), plaintext);
}

/** Open a note with the team key pair of its version; returns the text. Throws
 * BadCiphertext when it does not open (wrong key, conversation or version) or is not
 * UTF-8. */
export async function noteOpen(note, { conversationId, teamKeyVersion, teamPair }) {
  const plaintext = await hpkeOpen(teamPair, noteInfo({ conversationId, teamKeyVersion }), note);
  try {
    return utf8Strict.decode(plaintext);
  } catch (error) {
    throw new BadCiphertext("note is not UTF-8", { cause: error });
  }
}
