/**
 * Message encryption: per-stream keys, nonces, AAD, padding, signatures
 * (docs/protocol.md §6), mirroring chat/crypto/messages.py.
 * @module
 */

import { concat, label, lp, lps, u8, u32, u64 } from "./encoding.js";
import { BadObject } from "./errors.js";
import {
  bytesField,
  contentTypeField,
  intField,
  partyField,
  uuidField,
} from "./schema.js";
import { SIGNATURE_LEN, SUITE_ID, aeadDecrypt, aeadEncrypt, hkdf, sign, verify } from "./suite1.js";

export const BUCKETS = [256, 1024, 4096, 16384, 32768];
export const MAX_CONTENT = BUCKETS[BUCKETS.length - 1] - 4;
export const STREAM_LEN = 16;
const TAG_LEN = 16;

/** `{key, nonceBase}` of one sender stream in one epoch. */
export async function messageKeys(epochSecret, { conversationId, epoch, sender, stream }) {
  const info = concat(
    label("message-key"),
    lps(conversationId),
    u32(epoch),
    lps(sender),
    lp(stream),
  );
  const okm = await hkdf(epochSecret, info, 44);
  return { key: okm.slice(0, 32), nonceBase: okm.slice(32, 44) };
}

/** `nonce_base XOR (u32(0) ‖ u64(seq))` (synchronous). */
export function messageNonce(nonceBase, seq) {
  const counter = concat(u32(0), u64(seq));
  return nonceBase.map((byte, i) => byte ^ counter[i]);
}

/** The AEAD additional data binding every field of a message. */
export function messageAad({ conversationId, epoch, commitHash, sender, stream, seq, contentType }) {
  return concat(
    label("message"),
    u8(SUITE_ID),
    lps(conversationId),
    u32(epoch),
    lp(commitHash),
    lps(sender),
    lp(stream),
    u64(seq),
    lps(contentType),
  );
}

/** `u32(len) ‖ content ‖ zeros` up to the smallest bucket that fits (synchronous). */
export function pad(content) {
  if (content.length > MAX_CONTENT) throw new BadObject("content too long");
  const size = BUCKETS.find((bucket) => bucket >= content.length + 4);
  const out = new Uint8Array(size);
  out.set(u32(content.length), 0);
  out.set(content, 4);
  return out;
}

/** The content of a padded plaintext; throws BadObject on a bad bucket or padding. */
export function unpad(padded) {
  if (!BUCKETS.includes(padded.length)) throw new BadObject("padded length is not a bucket");
  const length = new DataView(padded.buffer, padded.byteOffset, 4).getUint32(0);
  if (length > padded.length - 4 || padded.subarray(4 + length).some((byte) => byte !== 0)) {
    throw new BadObject("bad padding");
  }
  return padded.slice(4, 4 + length);
}

/** The bytes a sender signs: `str("helpline/v1 message-signature") ‖ lp(aad) ‖ lp(ct)`. */
export function signatureInput(aad, ct) {
  return concat(label("message-signature"), lp(aad), lp(ct));
}

function envelopeCheck(envelope) {
  uuidField(envelope.conversation_id, "conversation_id");
  intField(envelope.epoch, "epoch", 2 ** 32 - 1);
  partyField(envelope.sender, "sender");
  bytesField(envelope.stream, "stream", STREAM_LEN);
  intField(envelope.seq, "seq");
  contentTypeField(envelope.content_type);
  bytesField(envelope.ct, "ct", BUCKETS[0] + TAG_LEN, BUCKETS[BUCKETS.length - 1] + TAG_LEN);
  bytesField(envelope.sig, "sig", SIGNATURE_LEN);
}

/** Pad, encrypt and sign `content` (bytes); returns the envelope. */
export async function messageSeal({
  epochSecret,
  commitHash,
  conversationId,
  epoch,
  sender,
  stream,
  seq,
  contentType,
  content,
  senderSigKey,
}) {
  contentTypeField(contentType);
  const { key, nonceBase } = await messageKeys(epochSecret, {
    conversationId,
    epoch,
    sender,
    stream,
  });
  const aad = messageAad({ conversationId, epoch, commitHash, sender, stream, seq, contentType });
  const ct = await aeadEncrypt(key, messageNonce(nonceBase, seq), pad(content), aad);
  return {
    conversation_id: conversationId,
    epoch,
    sender,
    stream,
    seq,
    content_type: contentType,
    ct,
    sig: await sign(senderSigKey, signatureInput(aad, ct)),
  };
}

/** Verify the sender's signature, decrypt and unpad; returns the content bytes. */
export async function messageOpen(envelope, { epochSecret, commitHash, senderSigPk }) {
  envelopeCheck(envelope);
  const fields = {
    conversationId: envelope.conversation_id,
    epoch: envelope.epoch,
    sender: envelope.sender,
    stream: envelope.stream,
  };
  const aad = messageAad({
    ...fields,
    commitHash,
    seq: envelope.seq,
    contentType: envelope.content_type,
  });
  await verify(senderSigPk, signatureInput(aad, envelope.ct), envelope.sig);
  const { key, nonceBase } = await messageKeys(epochSecret, fields);
  return unpad(await aeadDecrypt(key, messageNonce(nonceBase, envelope.seq), envelope.ct, aad));
}
