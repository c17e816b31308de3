/**
 * One conversation as a client sees it: commits, epoch secrets and message crypto
 * (mirrors chat/client/state.py). No I/O: the session feeds it frames; it verifies
 * everything it uses against the pinned admin key (docs/protocol.md §5.4, §6.3) and
 * throws a CryptoError otherwise.
 * @module
 */

import {
  BadObject,
  STREAM_LEN,
  VISITOR,
  ZERO_HASH,
  certVerify,
  commitCreate,
  commitHash,
  commitMembersCheck,
  commitOpen,
  commitSignatureVerify,
  b64encode,
  keyId,
  messageOpen,
  messageSeal,
  randomBytes,
  teamKeyVerify,
} from "../crypto/index.js";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const TEXT_MAX = 8000;

/** Unix seconds now. */
export function unixNow() {
  return Math.floor(Date.now() / 1000);
}

/**
 * Check a text a person typed: 1–8,000 characters (docs/protocol.md §6.2).
 * @returns {Uint8Array} its UTF-8 bytes
 */
export function textContent(text) {
  const length = typeof text === "string" ? [...text].length : 0;
  if (length < 1 || length > TEXT_MAX) throw new RangeError("a text is 1–8,000 characters");
  return encoder.encode(text);
}

/** A decrypted message as sessions hand it to `onMessage`. */
function messageOf(envelope, order, content, { me, receivedAt }) {
  const contentType = envelope.content_type;
  let text = null;
  let event = null;
  try {
    if (contentType === "text") text = decoder.decode(content);
    if (contentType === "event") {
      const parsed = JSON.parse(decoder.decode(content));
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) event = parsed;
    }
  } catch {
    // Not UTF-8 or not JSON: shown as an unsupported message (text and event stay null).
  }
  return {
    conversationId: envelope.conversation_id,
    order,
    epoch: envelope.epoch,
    sender: envelope.sender,
    mine: envelope.sender === me,
    contentType,
    content,
    text,
    event,
    receivedAt,
  };
}

export class ConversationState {
  /**
   * @param {object} init
   * @param {string} init.conversationId
   * @param {string} init.me "visitor" or this device's id (the sender id in AAD)
   * @param {CryptoKey} init.signKey this party's private signing key
   * @param {Map<string, CryptoKeyPair>} init.openKeys KEM key pairs our wraps may be
   *   sealed to, by base64 key id (the visitor's or an interpreter's own key; for staff,
   *   every team key version it holds)
   * @param {Uint8Array} init.adminPk the admin key, already checked against the pin
   * @param {Uint8Array|null} init.visitorSigPk
   * @param {Map<number, object>} [init.teamKeys] verified team-key announcements by version
   */
  constructor({ conversationId, me, signKey, openKeys, adminPk, visitorSigPk, teamKeys }) {
    this.conversationId = conversationId;
    this.me = me;
    this.signKey = signKey;
    this.openKeys = openKeys;
    this.adminPk = adminPk;
    this.visitorSigPk = visitorSigPk;
    this.visitorKemPk = null; // staff: from `conversation.state`, to wrap new epochs to
    this.teamKeys = teamKeys ?? new Map();
    this.deviceCerts = new Map();
    this.commits = new Map(); // epoch → {commit, hash}
    this.secrets = new Map(); // epoch → epoch secret
    this.stream = randomBytes(STREAM_LEN);
    this.nextSeq = new Map();
  }

  /** The highest epoch whose secret this client holds, or −1. */
  get currentEpoch() {
    return this.secrets.size ? Math.max(...this.secrets.keys()) : -1;
  }

  /** Verify a device certificate against the admin key and keep it. */
  async certAdd(cert) {
    await certVerify(cert, { adminPk: this.adminPk, now: unixNow() });
    this.deviceCerts.set(cert.device_id, cert);
  }

  /** The signing key of "visitor" or of a certified device of `role` ("any" for any). */
  signerKey(partyId, role) {
    if (partyId === VISITOR) {
      if (!this.visitorSigPk) throw new BadObject("the visitor's signing key is not known yet");
      return this.visitorSigPk;
    }
    const cert = this.deviceCerts.get(partyId);
    if (cert === undefined) throw new BadObject(`no verified certificate for device ${partyId}`);
    if (role !== "any" && cert.role !== role) {
      throw new BadObject(`device ${partyId} is not of role ${role}`);
    }
    return cert.sig_pk;
  }

  /** Which of these party ids are devices without a verified certificate yet. */
  unknownDevices(partyIds) {
    return [...new Set(partyIds)].filter((id) => id !== VISITOR && !this.deviceCerts.has(id));
  }

  /** Verify a commit (chain, signature, members, team key) and open our wrap if any. */
  async commitAccept(commit, signature, wrap) {
    if (commit.conversation_id !== this.conversationId) {
      throw new BadObject("commit of another conversation");
    }
    commitMembersCheck(commit);
    const previous = this.commits.get(commit.epoch - 1);
    if (previous !== undefined && b64encode(previous.hash) !== b64encode(commit.prev_commit_hash)) {
      throw new BadObject("commit does not chain onto the previous one");
    }
    await commitSignatureVerify(commit, signature, this.signerKey(commit.author, "staff"));
    for (const member of commit.members) {
      if (member.kind === "team") await this.#teamMemberCheck(commit, member);
      if (member.kind === "device") {
        const cert = this.deviceCerts.get(member.id);
        if (
          cert === undefined ||
          cert.role !== "interpreter" ||
          b64encode(await keyId(cert.kem_pk)) !== b64encode(member.key_id)
        ) {
          throw new BadObject("commit adds a device without a valid interpreter certificate");
        }
      }
    }
    const hash = await commitHash(commit);
    this.commits.set(commit.epoch, { commit, hash });
    const pair = wrap ? this.openKeys.get(b64encode(wrap.key_id)) : undefined;
    if (pair !== undefined) {
      this.secrets.set(commit.epoch, await commitOpen(commit, wrap, { recipientPair: pair }));
    }
  }

  /** Forget an epoch this client made (`commit`) but the server did not take — unless
   * the commit that won has been applied in its place meanwhile. */
  epochDiscard(epoch, commit) {
    if (this.commits.get(epoch)?.commit !== commit) return;
    this.commits.delete(epoch);
    this.secrets.delete(epoch);
    this.nextSeq.delete(epoch);
  }

  /** The team member must be the announced key of its version. A visitor learns only the
   * current announcement (from open/resume), so an older version it has not seen (its
   * own epoch 0 after a rotation) is accepted: the commit's signature, by the visitor
   * itself or a certified staff device, already vouches for it. */
  async #teamMemberCheck(commit, member) {
    const announcement = this.teamKeys.get(commit.team_key_version);
    if (announcement === undefined) return;
    if (b64encode(await keyId(announcement.pk)) !== b64encode(member.key_id)) {
      throw new BadObject("the team member is not the announced team key");
    }
  }

  /** Verify, decrypt and unpad an envelope; returns the message for `onMessage`. */
  async envelopeOpen(envelope, order, receivedAt = null) {
    const secret = this.secrets.get(envelope.epoch);
    if (secret === undefined) throw new BadObject("no secret for this epoch");
    const content = await messageOpen(envelope, {
      epochSecret: secret,
      commitHash: this.commits.get(envelope.epoch).hash,
      senderSigPk: this.signerKey(envelope.sender, "any"),
    });
    return messageOf(envelope, order, content, { me: this.me, receivedAt });
  }

  /** Whether this session sealed the envelope (same sender and stream). */
  sentHere(envelope) {
    return envelope.sender === this.me && b64encode(envelope.stream) === b64encode(this.stream);
  }

  /** Encrypt content (bytes) in the current epoch with this session's stream. */
  seal(content, contentType = "text") {
    const epoch = this.currentEpoch;
    if (epoch < 0) throw new BadObject("no epoch to write in yet");
    const seq = this.nextSeq.get(epoch) ?? 0;
    this.nextSeq.set(epoch, seq + 1);
    return messageSeal({
      epochSecret: this.secrets.get(epoch),
      commitHash: this.commits.get(epoch).hash,
      conversationId: this.conversationId,
      epoch,
      sender: this.me,
      stream: this.stream,
      seq,
      contentType,
      content,
      senderSigKey: this.signKey,
    });
  }

  /**
   * Make the next epoch (epoch 0 when there is none yet) wrapped to the team key, the
   * visitor and `interpreters` (`[{deviceId, kemPk, label}]`), and adopt its secret.
   * Returns `{commit, signature, wraps, epochSecret, commitHash}`.
   */
  async epochCreate({ reason, team, visitorKemPk, interpreters = [] }) {
    await teamKeyVerify(team, { adminPk: this.adminPk, now: unixNow() });
    this.teamKeys.set(team.version, team);
    const epoch = this.currentEpoch + 1;
    const previous = this.commits.get(epoch - 1);
    const signed = await commitCreate({
      conversationId: this.conversationId,
      epoch,
      prevCommitHash: previous ? previous.hash : ZERO_HASH,
      author: this.me,
      authorSigKey: this.signKey,
      reason,
      teamKeyVersion: team.version,
      recipients: [
        { kind: "team", id: String(team.version), kemPk: team.pk, label: "" },
        { kind: "visitor", id: VISITOR, kemPk: visitorKemPk, label: "" },
        ...interpreters.map(({ deviceId, kemPk, label }) => ({
          kind: "device",
          id: deviceId,
          kemPk,
          label,
        })),
      ],
      now: unixNow(),
    });
    this.commits.set(epoch, { commit: signed.commit, hash: signed.commitHash });
    this.secrets.set(epoch, signed.epochSecret);
    return signed;
  }
}
