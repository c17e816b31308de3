/**
 * A staff (or interpreter) device's session (mirrors chat/client/staff.py). The page's
 * websocket carries the Django session cookie; the device then proves it holds its
 * signing key (`device.auth` over the hello nonce), checks its certificate and opens the
 * team keys wrapped to it. Subscribed conversations are read through the team key (an
 * interpreter through its own KEM key); senders' certificates are fetched with
 * `certs.get` and verified against the admin key.
 * @module
 */

import {
  BadObject,
  adminFingerprint as fingerprintOf,
  b64encode,
  certVerify,
  deviceAuthSign,
  keyId,
  noteOpen,
  noteSeal,
  publicBytes,
  teamKeyVerify,
  teamWrapOpen,
} from "../crypto/index.js";
import { ServerRefused } from "./connection.js";
import { interpreterChanges } from "./members.js";
import { Followed, Session } from "./session.js";
import { ConversationState, textContent, unixNow } from "./state.js";

const utf8 = new TextEncoder();

/**
 * The KEM key pairs a device still holds for team wraps (protocol.md §4.4): its
 * certificate's (null once retired) and the wrap keys it published since.
 */
export function deviceKemPairs(device) {
  return [device.kemPair, ...(device.wrapKeys ?? [])].filter((pair) => pair);
}

/**
 * Open a team wrap `{kem_pk, ct}` with the device's KEM key it names (protocol.md §4.4:
 * the certificate's, or a wrap key the device published). Throws BadObject when the
 * device no longer holds that key (retired with a destroyed version).
 */
export async function teamWrapOpenWith(device, wrap, announcement) {
  const wanted = b64encode(wrap.kem_pk);
  for (const deviceKemPair of deviceKemPairs(device)) {
    if (b64encode(await publicBytes(deviceKemPair)) !== wanted) continue;
    return teamWrapOpen(wrap.ct, { deviceKemPair, deviceId: device.deviceId, announcement });
  }
  throw new BadObject("this device does not hold the KEM key of this team wrap");
}

export class StaffSession extends Session {
  static endpoint = "staff";

  /**
   * @param {object} options the Session options (baseUrl, onMessage, onStatus, onReceipt,
   *   onError) and:
   * @param {{deviceId: string, kemPair: CryptoKeyPair, sigPair: CryptoKeyPair}} options.device
   * @param {Uint8Array|null} [options.adminFingerprint] pin the admin key, when known
   * @param {string|null} [options.label] sent once per conversation, before this
   *   device's first message or typing event, as a `profile` event (e.g. "Infirmière")
   * @param {string|null} [options.role] the label's role from the protocol's list (e.g.
   *   "nurse"), sent in the profile so the visitor reads it in their language
   * @param {(activity: object) => void} [options.onActivity] `{conversationId,
   *   lastOrder, event}` for every conversation opened or written in
   * @param {(event: object) => void} [options.onStaffEvent] `{event, data}` of every
   *   `staff.event` frame (queue, presence, shifts: ops/README.md lists them)
   */
  constructor(options) {
    super(options);
    const {
      device,
      adminFingerprint = null,
      label = null,
      role = null,
      onActivity,
      onStaffEvent,
    } = options;
    this.device = device;
    this.adminFingerprint = adminFingerprint;
    this.label = label;
    this.role = role;
    this.callbacks.onActivity = onActivity;
    this.callbacks.onStaffEvent = onStaffEvent;
    this.adminPk = null;
    this.cert = null;
    this.announcements = new Map(); // version → verified team-key announcement
    this.teamPairs = new Map(); // version → team KEM CryptoKeyPair
    this.profiled = new Set(); // conversations this device has shown its label in
  }

  async authenticate(connection) {
    const signature = await deviceAuthSign(this.device.sigPair.privateKey, {
      nonce: connection.hello.nonce,
      deviceId: this.device.deviceId,
    });
    const ready = await connection.request({
      type: "device.auth",
      device_id: this.device.deviceId,
      signature,
    });
    await this.ready(ready);
    for (const [conversationId, followed] of this.conversations) {
      await connection.request({
        type: "conversation.subscribe",
        conversation_id: conversationId,
        after: followed.lastOrder,
      });
    }
  }

  async ready(ready) {
    if (this.adminFingerprint !== null) {
      const fingerprint = await fingerprintOf(ready.admin_pk);
      if (b64encode(fingerprint) !== b64encode(this.adminFingerprint)) {
        throw new BadObject("the server's admin key does not match the pinned fingerprint");
      }
    }
    await certVerify(ready.cert, { adminPk: ready.admin_pk, now: unixNow() });
    // A certificate KEM key retired with a destroyed team key is gone; its public half
    // is kept so the certificate can still be recognised as this device's.
    const ownKem = this.device.kemPair
      ? await publicBytes(this.device.kemPair)
      : this.device.retiredKemPk;
    const ownSig = await publicBytes(this.device.sigPair);
    if (
      ready.cert.device_id !== this.device.deviceId ||
      b64encode(ready.cert.kem_pk) !== b64encode(ownKem) ||
      b64encode(ready.cert.sig_pk) !== b64encode(ownSig)
    ) {
      throw new BadObject("the certificate is not this device's");
    }
    this.adminPk = ready.admin_pk;
    this.cert = ready.cert;
    this.partyKind = ready.cert.role; // receipts by this role are this side's own
    this.seesPart = ready.cert.role === "interpreter";
    for (const { announcement, wrap } of ready.team_keys) {
      await teamKeyVerify(announcement, { adminPk: ready.admin_pk });
      this.announcements.set(announcement.version, announcement);
      if (wrap === null || this.teamPairs.has(announcement.version)) continue;
      const { pair } = await teamWrapOpenWith(this.device, wrap, announcement);
      this.teamPairs.set(announcement.version, pair);
    }
  }

  /** The KEM key pairs this device's wraps are sealed to, by base64 key id. */
  async openKeys() {
    const keys = new Map();
    if (this.cert.role === "interpreter") {
      keys.set(b64encode(await keyId(await publicBytes(this.device.kemPair))), this.device.kemPair);
      return keys;
    }
    for (const [version, pair] of this.teamPairs) {
      keys.set(b64encode(await keyId(this.announcements.get(version).pk)), pair);
    }
    return keys;
  }

  /** The most recent conversations: `[{conversation_id, state, language, created_at,
   * last_activity_at, last_order, current_epoch}]` (staff role only). */
  async listConversations() {
    const answer = await this.requestReliably({ type: "conversation.list" });
    return answer.conversations;
  }

  /**
   * Follow a conversation: its backlog and live items come through `onMessage`. Resolves
   * to the `conversation.state` frame (applied before the backlog: it carries the
   * visitor's signing key).
   */
  async subscribe(conversationId) {
    let followed = this.conversations.get(conversationId);
    if (followed === undefined) {
      const state = new ConversationState({
        conversationId,
        me: this.device.deviceId,
        signKey: this.device.sigPair.privateKey,
        openKeys: await this.openKeys(),
        adminPk: this.adminPk,
        visitorSigPk: null,
        teamKeys: new Map(this.announcements),
      });
      state.deviceCerts.set(this.cert.device_id, this.cert);
      followed = new Followed(state);
      this.conversations.set(conversationId, followed);
    }
    try {
      return await this.requestReliably({
        type: "conversation.subscribe",
        conversation_id: conversationId,
        after: followed.lastOrder,
      });
    } catch (error) {
      // Refused (an interpreter not in it yet): not followed, nor re-subscribed later.
      if (error instanceof ServerRefused) this.conversations.delete(conversationId);
      throw error;
    }
  }

  /** The newest team key version this device holds, or null. */
  newestTeamVersion() {
    return this.teamPairs.size ? Math.max(...this.teamPairs.keys()) : null;
  }

  /** Whether the conversation's current epoch is under an older team key version than
   * the newest this device holds (then it should move with a `rekey` epoch). */
  rotationDue(conversationId) {
    const state = this.conversations.get(conversationId)?.state;
    const newest = this.newestTeamVersion();
    if (!state || state.currentEpoch < 0 || newest === null || !state.visitorKemPk) return false;
    return state.commits.get(state.currentEpoch).commit.team_key_version < newest;
  }

  /**
   * Move the conversation to the newest team key version (protocol.md §5.5):
   * the next epoch, reason `rekey`, wrapped to that version, the visitor and the current
   * epoch's interpreters (epochMake). Resolves to the new epoch, or null when nothing was
   * due or another device made the next epoch first (then this one is dropped; the
   * backlog brings theirs).
   */
  async rotateEpoch(conversationId) {
    if (!this.rotationDue(conversationId)) return null;
    const interpreters = this.commitCurrent(conversationId)
      .members.filter((member) => member.kind === "device")
      .map((member) => ({ deviceId: member.id, label: member.label }));
    return this.epochMake(conversationId, {
      reason: "rekey",
      interpreters,
      team: this.announcements.get(this.newestTeamVersion()),
    });
  }

  /** Stop following a conversation. */
  async unsubscribe(conversationId) {
    const followed = this.conversations.get(conversationId);
    if (followed === undefined) return;
    this.conversations.delete(conversationId);
    clearTimeout(followed.gapTimer);
    await this.requestReliably({ type: "conversation.unsubscribe", conversation_id: conversationId });
  }

  /** Resolve once this device holds an epoch secret of the conversation (after
   * `subscribe`, when its backlog has been applied that far). */
  epochReady(conversationId, { timeoutMs = 10000 } = {}) {
    const followed = this.conversations.get(conversationId);
    if (followed === undefined) throw new BadObject("subscribe to the conversation first");
    return this.until(() => followed.state.currentEpoch >= 0, { timeoutMs });
  }

  /** Resolve once the conversation's items up to `order` (e.g. the `last_order` of its
   * `conversation.state`) have been applied. */
  caughtUp(conversationId, order, { timeoutMs = 10000 } = {}) {
    const followed = this.conversations.get(conversationId);
    if (followed === undefined) throw new BadObject("subscribe to the conversation first");
    return this.until(() => followed.lastOrder >= order, { timeoutMs });
  }

  /** Encrypt and send content bytes of a content type; resolves to the order. */
  async sendContent(conversationId, content, contentType) {
    await this.epochReady(conversationId);
    const state = this.conversations.get(conversationId).state;
    return this.sendSealed(state, content, contentType);
  }

  /**
   * Make the conversation's next epoch and submit it (protocol.md §5.5): wrapped to
   * `team` (a team key announcement; by default the newest current one this device
   * holds), the visitor and `interpreters` (`[{deviceId, label}]`, each checked against
   * a certificate of role `interpreter` that verifies under the admin key). `reason` is
   * `member_add` or `member_remove` (an interpreter), or `rekey` (rotateEpoch). Resolves to the
   * new epoch, or null when another device's commit won the race (`epoch_conflict`:
   * ours is forgotten). `onCommit` hears of it as of any other commit applied.
   */
  async epochMake(conversationId, { reason, interpreters = [], team = null }) {
    await this.epochReady(conversationId);
    const { state } = this.conversations.get(conversationId);
    await this.certsEnsure(state, interpreters.map((member) => member.deviceId));
    const recipients = interpreters.map(({ deviceId, label }) => {
      const cert = state.deviceCerts.get(deviceId);
      if (cert?.role !== "interpreter") {
        throw new BadObject(`device ${deviceId} has no valid interpreter certificate`);
      }
      return { deviceId, kemPk: cert.kem_pk, label };
    });
    if (!state.visitorKemPk) throw new BadObject("the visitor's key is not known yet");
    const previous = state.commits.get(state.currentEpoch)?.commit ?? null;
    const signed = await state.epochCreate({
      reason,
      team: team ?? this.noteTeamKey(),
      visitorKemPk: state.visitorKemPk,
      interpreters: recipients,
    });
    const epoch = signed.commit.epoch;
    let ack;
    try {
      ack = await this.requestReliably({
        type: "commit.submit",
        conversation_id: conversationId,
        commit: signed.commit,
        signature: signed.signature,
        wraps: signed.wraps,
      });
    } catch (error) {
      state.epochDiscard(epoch, signed.commit);
      if (error instanceof ServerRefused && error.code === "epoch_conflict") return null;
      throw error;
    }
    this.inbox.put({ type: "own", conversation_id: conversationId, order: ack.order });
    this.call("onCommit", {
      conversationId,
      order: ack.order,
      epoch,
      reason,
      changes: interpreterChanges(previous, signed.commit),
    });
    return epoch;
  }

  /** The commit of the newest epoch this device holds in a conversation, or null. */
  commitCurrent(conversationId) {
    const state = this.conversations.get(conversationId)?.state;
    if (!state || state.currentEpoch < 0) return null;
    return state.commits.get(state.currentEpoch).commit;
  }

  /** Send a client-level event (`{kind, …}`, content type `event`). */
  sendEvent(conversationId, event) {
    return this.sendContent(conversationId, utf8.encode(JSON.stringify(event)), "event");
  }

  /** Send a text; the first one in a conversation is preceded by this device's
   * `profile` event when a label was given. Resolves to the text's order. */
  async sendText(conversationId, text) {
    const content = textContent(text);
    await this.profileShow(conversationId);
    return this.sendContent(conversationId, content, "text");
  }

  /** This device's `profile` event, once per conversation, when a label was given. */
  async profileShow(conversationId) {
    if (this.label === null || this.profiled.has(conversationId)) return;
    this.profiled.add(conversationId);
    const profile = { kind: "profile", label: this.label };
    if (this.role !== null) profile.role = this.role;
    await this.sendEvent(conversationId, profile);
  }

  /** "Someone is writing", to the others (docs/protocol.md §6.5). The profile goes
   * first: the visitor's client then has this device's certificate to check it with. */
  async sendTyping(conversationId) {
    const followed = this.conversations.get(conversationId);
    if (!followed || followed.state.currentEpoch < 0 || !this.up) return;
    await this.profileShow(conversationId);
    await this.typingSend(followed.state);
  }

  /** Tell the others a message (by order) reached this device. */
  markDelivered(conversationId, order) {
    return this.receiptSend(conversationId, "delivered", order);
  }

  /** Tell the others this device has read up to this order. */
  markRead(conversationId, order) {
    return this.receiptSend(conversationId, "read", order);
  }

  deliver(message) {
    // A profile this device sent from an earlier page need not be sent again.
    if (message.mine && message.event?.kind === "profile" && message.event.label === this.label) {
      this.profiled.add(message.conversationId);
    }
    super.deliver(message);
  }

  activity(item) {
    this.call("onActivity", {
      conversationId: item.conversation_id,
      lastOrder: item.last_order,
      event: item.event,
    });
  }

  staffEvent(item) {
    if (typeof item.event !== "string" || item.data === null || typeof item.data !== "object") {
      return; // not an event this client can read; ops/README.md lists the real ones
    }
    this.call("onStaffEvent", { event: item.event, data: item.data });
  }

  /** The team key notes are sealed to now: the highest version this device holds whose
   * announcement has not expired. */
  noteTeamKey() {
    const now = unixNow();
    let best = null;
    for (const [version, announcement] of this.announcements) {
      if (!this.teamPairs.has(version) || announcement.not_after <= now) continue;
      if (best === null || version > best.version) best = announcement;
    }
    if (best === null) throw new BadObject("this device holds no current team key");
    return best;
  }

  /**
   * Seal a hand-over or transfer note to the current team key (docs/protocol.md §6.4);
   * resolves to `{team_key_version, note}` (`note` is `enc ‖ ct`) for the server.
   */
  async noteSeal(conversationId, text) {
    const announcement = this.noteTeamKey();
    const note = await noteSeal(text, {
      conversationId,
      teamKeyVersion: announcement.version,
      teamPk: announcement.pk,
    });
    return { team_key_version: announcement.version, note };
  }

  /** Open a note of a conversation with the team key of its version; resolves to the
   * text. Throws BadObject for a version this device does not hold, BadCiphertext for a
   * note that does not open. */
  async noteOpen(conversationId, { teamKeyVersion, note }) {
    const teamPair = this.teamPairs.get(teamKeyVersion);
    if (teamPair === undefined) throw new BadObject(`no team key version ${teamKeyVersion} here`);
    return noteOpen(note, { conversationId, teamKeyVersion, teamPair });
  }
}
