/**
 * Epoch commits, member wraps and key commitments (docs/protocol.md §5), mirroring
 * chat/crypto/commits.py.
 * @module
 */

import { concat, equal, label, lp, lps, u8, u32, u64, utf8Encode } from "./encoding.js";
import { BadObject } from "./errors.js";
import { bytesField, intField, partyField, suiteField, uuidField } from "./schema.js";
import {
  HPKE_ENC_LEN,
  AEAD_TAG_LEN,
  KEY_ID_LEN,
  SUITE_ID,
  hkdf,
  hpkeOpen,
  hpkeSeal,
  keyId,
  publicBytes,
  randomBytes,
  sha256,
  sign,
  verify,
} from "./suite1.js";

export const VISITOR = "visitor";
export const ZERO_HASH = new Uint8Array(32);
export const EPOCH_SECRET_LEN = 32;
const MEMBERS_MIN = 2;
const MEMBERS_MAX = 16;
const KINDS = ["team", "visitor", "device"];
const REASONS = ["open", "member_add", "member_remove", "rekey"];
const WRAP_LEN = HPKE_ENC_LEN + EPOCH_SECRET_LEN + AEAD_TAG_LEN;

/** The signed and hashed bytes of a commit. */
export function commitBody(commit) {
  const parts = [
    label("commit"),
    u8(commit.suite),
    lps(commit.conversation_id),
    u32(commit.epoch),
    lp(commit.prev_commit_hash),
    lps(commit.author),
    lps(commit.reason),
    u32(commit.team_key_version),
    lp(commit.key_commitment),
    u64(commit.created_at),
    u32(commit.members.length),
  ];
  for (const member of commit.members) {
    parts.push(lps(member.kind), lps(member.id), lp(member.key_id), lps(member.label));
  }
  return concat(...parts);
}

/** `H(commit_body)`, 32 bytes. */
export function commitHash(commit) {
  return sha256(commitBody(commit));
}

/** `HKDF(epoch_secret, str("helpline/v1 key-commitment") ‖ str(conversation) ‖ u32(epoch))`. */
export function keyCommitment(epochSecret, { conversationId, epoch }) {
  return hkdf(epochSecret, concat(label("key-commitment"), lps(conversationId), u32(epoch)), 32);
}

/** HPKE `info` of one member's wrap of the epoch secret. */
export function wrapInfo({ conversationId, epoch, keyId: recipientKeyId, commitHash: digest }) {
  return concat(
    label("epoch-wrap"),
    u8(SUITE_ID),
    lps(conversationId),
    u32(epoch),
    lp(recipientKeyId),
    lp(digest),
  );
}

function fieldsCheck(commit) {
  suiteField(commit.suite);
  uuidField(commit.conversation_id, "conversation_id");
  intField(commit.epoch, "epoch", 2 ** 32 - 1);
  bytesField(commit.prev_commit_hash, "prev_commit_hash", 32);
  partyField(commit.author, "author");
  if (!REASONS.includes(commit.reason)) throw new BadObject("unknown reason");
  intField(commit.team_key_version, "team_key_version", 2 ** 32 - 1);
  bytesField(commit.key_commitment, "key_commitment", 32);
  intField(commit.created_at, "created_at");
  const members = commit.members;
  if (!Array.isArray(members) || members.length < MEMBERS_MIN || members.length > MEMBERS_MAX) {
    throw new BadObject(`a commit has ${MEMBERS_MIN}–${MEMBERS_MAX} members`);
  }
  for (const member of members) {
    if (!KINDS.includes(member.kind)) throw new BadObject("unknown member kind");
    if (typeof member.id !== "string" || member.id.length < 1 || member.id.length > 36) {
      throw new BadObject("member id must be 1–36 characters");
    }
    bytesField(member.key_id, "key_id", KEY_ID_LEN);
    if (typeof member.label !== "string" || utf8Encode(member.label).length > 64) {
      throw new BadObject("member label over 64 bytes");
    }
    if (member.label.includes("\u0000")) throw new BadObject("member label holds NUL (§2.1)");
  }
}

/** Structural rules of §5.3 (synchronous): one team member, one visitor member, unique
 * key ids, epoch 0 opened by the visitor, later epochs by staff devices. */
export function commitMembersCheck(commit) {
  fieldsCheck(commit);
  const kinds = commit.members.map((member) => member.kind);
  const count = (kind) => kinds.filter((k) => k === kind).length;
  if (count("team") !== 1 || count("visitor") !== 1) {
    throw new BadObject("a commit has exactly one team and one visitor member");
  }
  const ids = new Set(commit.members.map((member) => member.key_id.join(",")));
  if (ids.size !== commit.members.length) throw new BadObject("two members share a key id");
  for (const member of commit.members) {
    if (member.kind === "team" && member.id !== String(commit.team_key_version)) {
      throw new BadObject("team member id must be the team key version");
    }
    if (member.kind === "team" && member.label !== "") {
      throw new BadObject("team member must have the empty label (§5.3)");
    }
    if (member.kind === "visitor" && (member.id !== VISITOR || member.label)) {
      throw new BadObject("visitor member must be id 'visitor' without label");
    }
    if (member.kind === "device" && member.id === VISITOR) {
      throw new BadObject("device member needs a device id");
    }
  }
  if (
    commit.epoch === 0 &&
    (!equal(commit.prev_commit_hash, ZERO_HASH) ||
      commit.author !== VISITOR ||
      commit.reason !== "open")
  ) {
    throw new BadObject("epoch 0 is opened by the visitor with a zero previous hash");
  }
  if (commit.epoch > 0 && commit.author === VISITOR) {
    throw new BadObject("only staff devices make later epochs");
  }
}

/** One wrap per member, same key ids in the same order (§5.4 rule 4; synchronous). */
export function commitWrapsCheck(commit, wraps) {
  const matches =
    Array.isArray(wraps) &&
    wraps.length === commit.members.length &&
    wraps.every(
      (wrap, i) =>
        wrap.key_id instanceof Uint8Array &&
        equal(wrap.key_id, commit.members[i].key_id) &&
        wrap.ct instanceof Uint8Array &&
        wrap.ct.length === WRAP_LEN,
    );
  if (!matches) throw new BadObject("wraps must match the members one for one, in order");
}

/** Throw BadSignature unless the author's key signed this commit body. */
export async function commitSignatureVerify(commit, signature, authorSigPk) {
  return verify(authorSigPk, commitBody(commit), signature);
}

/**
 * Make a fresh epoch secret, the signed commit and one wrap per recipient
 * (`recipients`: `[{kind, id, kemPk, label}]`, in member order).
 * Returns `{commit, signature, wraps, epochSecret, commitHash}`.
 */
export async function commitCreate({
  conversationId,
  epoch,
  prevCommitHash,
  author,
  authorSigKey,
  reason,
  teamKeyVersion,
  recipients,
  now,
}) {
  const epochSecret = randomBytes(EPOCH_SECRET_LEN);
  const keyIds = await Promise.all(recipients.map((recipient) => keyId(recipient.kemPk)));
  const commit = {
    suite: SUITE_ID,
    conversation_id: conversationId,
    epoch,
    prev_commit_hash: prevCommitHash,
    author,
    reason,
    team_key_version: teamKeyVersion,
    key_commitment: await keyCommitment(epochSecret, { conversationId, epoch }),
    created_at: now,
    members: recipients.map((recipient, i) => ({
      kind: recipient.kind,
      id: recipient.id,
      key_id: keyIds[i],
      label: recipient.label ?? "",
    })),
  };
  commitMembersCheck(commit);
  const digest = await commitHash(commit);
  const wraps = await Promise.all(
    recipients.map(async (recipient, i) => ({
      key_id: keyIds[i],
      ct: await hpkeSeal(
        recipient.kemPk,
        wrapInfo({ conversationId, epoch, keyId: keyIds[i], commitHash: digest }),
        epochSecret,
      ),
    })),
  );
  const signature = await sign(authorSigKey, commitBody(commit));
  return { commit, signature, wraps, epochSecret, commitHash: digest };
}

/**
 * Open this recipient's wrap (`recipientPair`: its KEM CryptoKeyPair) and check the key
 * commitment; returns the epoch secret.
 */
export async function commitOpen(commit, wrap, { recipientPair }) {
  const ownKeyId = await keyId(await publicBytes(recipientPair));
  if (
    !(wrap.key_id instanceof Uint8Array) ||
    !equal(wrap.key_id, ownKeyId) ||
    !commit.members.some((member) => equal(member.key_id, ownKeyId))
  ) {
    throw new BadObject("this wrap is not addressed to this key");
  }
  const info = wrapInfo({
    conversationId: commit.conversation_id,
    epoch: commit.epoch,
    keyId: ownKeyId,
    commitHash: await commitHash(commit),
  });
  const epochSecret = await hpkeOpen(recipientPair, info, wrap.ct);
  const expected = await keyCommitment(epochSecret, {
    conversationId: commit.conversation_id,
    epoch: commit.epoch,
  });
  if (epochSecret.length !== EPOCH_SECRET_LEN || !equal(expected, commit.key_commitment)) {
    throw new BadObject("epoch secret does not match the key commitment");
  }
  return epochSecret;
}
