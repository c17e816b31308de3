/**
 * The visitor's session (mirrors chat/client/visitor.py, but lazy): new keys in memory;
 * the conversation is opened on the first send (open, the epoch-0 commit, then the
 * envelope) and resumed by token after every reconnection. The admin key the server
 * presents must match the fingerprint pinned in the page's configuration, and the team
 * key must be signed by it, before anything is wrapped to it.
 * @module
 */

import {
  BadObject,
  SUITE_ID,
  adminFingerprint as fingerprintOf,
  b64encode,
  generateKemKeyPair,
  generateSigKeyPair,
  keyId,
  publicBytes,
  teamKeyVerify,
} from "../crypto/index.js";
import { powOf, powSolveHere } from "./open-pow.js";
import { ServerRefused } from "./connection.js";
import { Followed, Session } from "./session.js";
import { ConversationState, textContent } from "./state.js";

const STATE_VERSION = 1;

export class VisitorSession extends Session {
  static endpoint = "visitor";

  /**
   * @param {object} options the Session options (baseUrl, onMessage, onStatus, onReceipt,
   *   onError) and:
   * @param {Uint8Array} options.adminFingerprint the pinned 32-byte fingerprint (required)
   * @param {string} [options.language] 2–16 characters, e.g. "fr"
   * @param {string|null} [options.campaign] the campaign code of the chat link
   * @param {(state: object) => void} [options.persist] called with `exportState()` once
   *   the conversation exists (its epoch 0 stored), for a visitor who chose "stay
   *   signed in on this phone"
   * @param {(status: object) => void} [options.onHelplineStatus] `{open, someoneHere,
   *   nextOpening}` (nextOpening: Unix seconds or null) right after connecting — before
   *   the visitor writes anything — and whenever it changes
   * @param {(route: object) => void} [options.onRoute] `{state, ahead}` of a
   *   `conversation.route` frame: where the conversation stands with the team
   * @param {(challenge: object) => Promise<number>} [options.solvePow] solves an
   *   `open.challenge` (docs/protocol.md §8.3.1); by default on this thread
   *   (open-pow.js: `powSolverInWorker(url)` does it in a Web Worker)
   */
  constructor(options) {
    super(options);
    const {
      adminFingerprint,
      language = "fr",
      campaign = null,
      persist = null,
      onHelplineStatus,
      onRoute,
      solvePow = powSolveHere,
    } = options;
    if (!(adminFingerprint instanceof Uint8Array) || adminFingerprint.length !== 32) {
      throw new TypeError("adminFingerprint must be the pinned 32 bytes");
    }
    this.adminFingerprint = adminFingerprint;
    this.language = language;
    this.campaign = campaign;
    this.callbacks.persist = persist;
    this.callbacks.onHelplineStatus = onHelplineStatus;
    this.callbacks.onRoute = onRoute;
    this.helpline = null; // the last helpline.status, as given to onHelplineStatus
    this.partyKind = "visitor";
    this.kemPair = null;
    this.sigPair = null;
    this.token = null;
    this.conversationId = null;
    this.opening = null;
    this.solvePow = solvePow;
    // The latest `open.challenge`, and the solving of it (started as it comes, so it is
    // ready by the first send).
    this.challenge = null;
    this.solving = null;
  }

  /**
   * What a visitor who chose to stay signed in keeps, or null before the conversation
   * exists: `{version: 1, conversationId, token: Uint8Array(32), kemPair, sigPair,
   * language, campaign}`. The key pairs are CryptoKeyPairs (extractable, for return
   * codes): store the object in IndexedDB (structured clone keeps them), not JSON.
   */
  exportState() {
    if (this.token === null) return null;
    return {
      version: STATE_VERSION,
      conversationId: this.conversationId,
      token: this.token,
      kemPair: this.kemPair,
      sigPair: this.sigPair,
      language: this.language,
      campaign: this.campaign,
    };
  }

  /**
   * A session that resumes a stored conversation (see exportState). `start()` resumes it
   * from the beginning, so the whole conversation comes back through `onMessage`
   * (the visitor's own earlier messages with `mine: true`).
   */
  static fromState(state, options) {
    if (state?.version !== STATE_VERSION) throw new BadObject("unknown visitor state");
    const session = new this({ ...options, language: state.language, campaign: state.campaign });
    session.kemPair = state.kemPair;
    session.sigPair = state.sigPair;
    session.token = state.token;
    session.conversationId = state.conversationId;
    return session;
  }

  /** Make the keys (if new) and connect; the conversation opens on the first send.
   * Extractable: a return code seals their scalars (protocol/return-code.js).
   * Whoever can run this page's script can use them anyway; the phone's holder gains
   * nothing from extractability that the stored token does not already give. */
  async start() {
    if (this.kemPair === null) {
      [this.kemPair, this.sigPair] = await Promise.all([
        generateKemKeyPair({ extractable: true }),
        generateSigKeyPair({ extractable: true }),
      ]);
    }
    await super.start();
  }

  async authenticate(connection) {
    if (this.token === null) return; // nothing to resume yet: the first send opens
    let followed = this.conversations.get(this.conversationId);
    const resumed = await connection.request({
      type: "conversation.resume",
      token: this.token,
      after: followed ? followed.lastOrder : 0,
    });
    await this.adminCheck(resumed.admin_pk, resumed.team_key);
    if (followed === undefined) {
      followed = await this.followed(resumed.conversation_id, resumed.admin_pk);
      this.conversations.set(resumed.conversation_id, followed);
    }
    followed.state.teamKeys.set(resumed.team_key.version, resumed.team_key);
  }

  /** Throw unless the admin key matches the pin and signed the team key. */
  async adminCheck(adminPk, teamKey) {
    const fingerprint = await fingerprintOf(adminPk);
    if (b64encode(fingerprint) !== b64encode(this.adminFingerprint)) {
      throw new BadObject("the server's admin key does not match the pinned fingerprint");
    }
    await teamKeyVerify(teamKey, { adminPk });
  }

  /** A new Followed conversation with this visitor's keys. */
  async followed(conversationId, adminPk) {
    const kemPk = await publicBytes(this.kemPair);
    const state = new ConversationState({
      conversationId,
      me: "visitor",
      signKey: this.sigPair.privateKey,
      openKeys: new Map([[b64encode(await keyId(kemPk)), this.kemPair]]),
      adminPk,
      visitorSigPk: await publicBytes(this.sigPair),
    });
    return new Followed(state);
  }

  /** Open the conversation once (shared by concurrent first sends; retried after a
   * failure). */
  ensureOpen() {
    this.opening ??= this.open().catch((error) => {
      this.opening = null;
      throw error;
    });
    return this.opening;
  }

  /** A new `open.challenge` (after `hello`, or with a `pow_required`): solve it now. */
  openChallenge(item) {
    if (this.token !== null) return; // opened already
    const solving = this.solvePow(item).then((number) => powOf(item, number));
    solving.catch(() => null); // awaited by open(), which reports a failure
    this.challenge = item;
    this.solving = solving;
    this.notify();
  }

  /** `conversation.open`, paid with the latest challenge solved; a refused one (expired,
   * or used) comes with a fresh challenge, solved in turn. */
  async openPaid(frame, tries = 3) {
    let used = null;
    for (;;) {
      await this.until(() => this.challenge !== null && this.challenge !== used, {
        timeoutMs: 30000,
      });
      used = this.challenge;
      const pow = await this.solving;
      try {
        return await this.requestReliably({ ...frame, pow });
      } catch (error) {
        tries -= 1;
        if (!(error instanceof ServerRefused && error.code === "pow_required") || tries === 0) {
          throw error;
        }
      }
    }
  }

  async open() {
    if (this.token !== null) {
      await this.connectedAfter(null); // a stored conversation: resumed on connecting
      return;
    }
    const visitorKemPk = await publicBytes(this.kemPair);
    const opened = await this.openPaid({
      type: "conversation.open",
      suite: SUITE_ID,
      language: this.language,
      campaign: this.campaign,
      visitor_kem_pk: visitorKemPk,
      visitor_sig_pk: await publicBytes(this.sigPair),
    });
    try {
      await this.adminCheck(opened.admin_pk, opened.team_key);
    } catch (error) {
      this.fail(error); // a server presenting another admin key: stop talking to it
      throw error;
    }
    const followed = await this.followed(opened.conversation_id, opened.admin_pk);
    const signed = await followed.state.epochCreate({
      reason: "open",
      team: opened.team_key,
      visitorKemPk,
    });
    // From here on a reconnection resumes this conversation by its token.
    this.token = opened.token;
    this.conversationId = opened.conversation_id;
    this.conversations.set(opened.conversation_id, followed);
    // The same commit until it is acknowledged: a re-submission gets the same order.
    const ack = await this.requestReliably({
      type: "commit.submit",
      conversation_id: opened.conversation_id,
      commit: signed.commit,
      signature: signed.signature,
      wraps: signed.wraps,
    });
    this.inbox.put({ type: "own", conversation_id: opened.conversation_id, order: ack.order });
    this.call("persist", this.exportState());
  }

  /** Encrypt and send a text (opening the conversation first if needed); resolves to
   * its order once the server has stored it. */
  async sendText(text) {
    const content = textContent(text);
    if (this.kemPair === null) throw new Error("VisitorSession: call start() before sendText()");
    await this.ensureOpen();
    const { state } = this.conversations.get(this.conversationId);
    // A resumed conversation reads its backlog (epoch 0 at least) before it can write.
    await this.until(() => state.currentEpoch >= 0, { timeoutMs: 30000 });
    return this.sendSealed(state, content);
  }

  /**
   * Encrypt and send an event (`{kind, ...}`, content type "event") in the open
   * conversation; resolves to its order. Never opens a conversation: with none open
   * (nothing sent yet) it resolves to null at once. Used by quick exit to tell staff
   * the visitor left in a hurry (`{kind: "quick_exit"}`), end-to-end encrypted like
   * any message: the server cannot tell it from one.
   */
  async sendEvent(event) {
    if (this.conversationId === null || this.token === null) return null;
    const followed = this.conversations.get(this.conversationId);
    if (!followed || followed.state.currentEpoch < 0) return null;
    const content = new TextEncoder().encode(JSON.stringify(event));
    return this.sendEnvelope(await followed.state.seal(content, "event"));
  }

  /**
   * Delete the conversation for everyone, now (docs/protocol.md §8.2). Resolves
   * once the server has deleted it (or at once when nothing was ever sent: there is
   * nothing on the server); the session then stops and forgets its token and keys.
   */
  async deleteConversation() {
    if (this.conversationId !== null && this.token !== null) {
      const connection = await this.connectedAfter(null);
      await connection.request({
        type: "conversation.delete",
        conversation_id: this.conversationId,
      });
    }
    this.forget();
  }

  conversationDeleted(item) {
    super.conversationDeleted(item);
    if (item.conversation_id === this.conversationId) this.forget();
  }

  /** Stop, and drop everything that could reopen the conversation. */
  forget() {
    this.stop();
    this.token = null;
    this.kemPair = null;
    this.sigPair = null;
    this.conversations.clear();
  }

  helplineStatus(item) {
    const next = item.next_opening;
    this.helpline = {
      open: item.open === true,
      someoneHere: item.someone_here === true,
      nextOpening: Number.isSafeInteger(next) && next > 0 ? next : null,
    };
    this.call("onHelplineStatus", this.helpline);
  }

  conversationRoute(item) {
    if (item.conversation_id !== this.conversationId) return;
    const states = new Set(["waiting", "assigned", "closed"]);
    if (!states.has(item.state)) return; // a state of a later protocol version
    const ahead = Number.isSafeInteger(item.ahead) && item.ahead >= 0 ? item.ahead : null;
    this.call("onRoute", { state: item.state, ahead });
  }

  /** "The visitor is writing", to the team (docs/protocol.md §6.5); nothing before the
   * conversation exists. */
  async sendTyping() {
    const followed = this.conversations.get(this.conversationId);
    if (followed) await this.typingSend(followed.state);
  }

  /** Tell the staff a message (by order) reached this phone. */
  markDelivered(order) {
    return this.receipt("delivered", order);
  }

  /** Tell the staff the visitor has read up to this order. */
  markRead(order) {
    return this.receipt("read", order);
  }

  async receipt(kind, order) {
    if (this.conversationId !== null) await this.receiptSend(this.conversationId, kind, order);
  }
}
