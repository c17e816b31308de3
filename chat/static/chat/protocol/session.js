/**
 * What the visitor and staff sessions share (mirrors chat/client/session.py): strictly
 * ordered processing per conversation, acknowledgements, gap and heartbeat syncs,
 * reconnection.
 *
 * One processor applies items in the server's `order` (docs/protocol.md §7): items that
 * come early wait in a buffer, a gap that lasts 500 ms asks for a `sync`, items already
 * applied are ignored. A backlog comes a page at a time: a `sync.done` with `more` asks
 * for the next page. The server does not echo a sender's own envelopes to its socket,
 * so the order in an `ack` counts as applied. A heartbeat `ping` every 15 s catches up
 * when `pong.last_orders` is ahead (a live item lost in fan-out) and finds dead sockets.
 * After a drop the session reconnects with jittered backoff, authenticates again (which
 * re-syncs from the last applied order) and re-sends unacknowledged envelopes with the
 * same stream and seq (idempotent on the server).
 * @module
 */

import {
  AsyncQueue,
  CLOSED,
  Connection,
  ConnectionLost,
  RequestTimeout,
  ServerRefused,
} from "./connection.js";
import { interpreterChanges } from "./members.js";

export const GAP_WAIT_MS = 500;
export const PING_MS = 15000;
const PING_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10000;
// Refusals that a later attempt may cure; any other refusal is final.
const TRANSIENT_CODES = new Set(["rate_limited", "internal"]);
// Close codes of a socket the server will not take back: no session (4401), refused.
// 4410: the conversation was deleted or expired.
// 4411: an interpreter's part in the conversation ended.
// Any other close is tried again with backoff: 4413 (the socket did not read what it
// was sent: a link too slow for a while), 4429 (a flood), 4408, a network failure.
const FATAL_CLOSE_CODES = new Set([4401, 4403, 4410, 4411]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TYPING_CONTENT = new TextEncoder().encode(JSON.stringify({ kind: "typing" }));

/** Whether trying again later may succeed (a network failure, a slow or busy server). */
export function isTransient(error) {
  if (error instanceof ConnectionLost) return !FATAL_CLOSE_CODES.has(error.closeCode);
  if (error instanceof ServerRefused) return TRANSIENT_CODES.has(error.code);
  return error instanceof RequestTimeout;
}

/** One followed conversation: its crypto state and where processing stands. */
export class Followed {
  constructor(state) {
    this.state = state;
    this.lastOrder = 0;
    this.pending = new Map(); // order → commit or envelope frame that came early
    this.ownOrders = new Set(); // orders of our own acknowledged items
    this.gapTimer = null;
  }
}

export class Session {
  /** "visitor" or "staff": the websocket endpoint. */
  static endpoint = "";

  /**
   * @param {object} options
   * @param {string} options.baseUrl the helpline's origin, e.g. `location.origin`
   * @param {(message: object) => void} [options.onMessage]
   * @param {(status: string) => void} [options.onStatus]
   * @param {(receipt: object) => void} [options.onReceipt]
   * @param {(error: Error, context: object) => void} [options.onError] `context` names
   *   the `conversationId` and `order` of an item that did not verify
   * @param {(deleted: object) => void} [options.onDeleted] `{conversationId, reason}`:
   *   a followed conversation is gone from the server (`reason` "visitor": its visitor
   *   deleted it; "expiry")
   * @param {(commit: object) => void} [options.onCommit] `{conversationId, order, epoch,
   *   reason, changes}` for every commit applied; `changes` lists the interpreters it
   *   added or removed (members.js)
   * @param {(typing: object) => void} [options.onTyping] `{conversationId, sender}`: someone
   *   else is writing (a `typing` frame that opened and verified, docs/protocol.md §6.5)
   * @param {(count: number) => void} [options.onDelayed] how many sends are being tried
   *   again (refused with `internal`, or waiting for a new connection); 0 once all went
   */
  constructor({
    baseUrl,
    onMessage,
    onStatus,
    onReceipt,
    onError,
    onDeleted,
    onCommit,
    onTyping,
    onDelayed,
  }) {
    this.baseUrl = baseUrl;
    this.callbacks = {
      onMessage,
      onStatus,
      onReceipt,
      onError,
      onDeleted,
      onCommit,
      onTyping,
      onDelayed,
    };
    this.delayed = 0; // sends being tried again (requestReliably)
    this.conversations = new Map();
    this.inbox = new AsyncQueue();
    this.connection = null;
    this.status = "idle";
    this.stopping = false;
    this.partyKind = "";
    this.up = false;
    this.waiters = [];
    this.heartbeat = null;
    // An interpreter's session sees only the items of its own epochs: it may read nothing from before it joined or after it left.
    this.seesPart = false;
  }

  // -- connection life -------------------------------------------------------------

  /** Connect (retrying while the network fails) and authenticate; then process items. */
  async start() {
    this.setStatus("connecting");
    await this.connectRetrying();
    if (this.stopping) throw new ConnectionLost("session stopped");
    this.process();
    this.heartbeat = setInterval(() => this.ping(), PING_MS);
  }

  /** Close the socket and stop; pending sends reject with ConnectionLost. */
  stop() {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const followed of this.conversations.values()) clearTimeout(followed.gapTimer);
    this.connection?.close();
    this.setStatus("closed");
    this.notify();
  }

  /** Subclasses: authenticate a fresh connection (open/resume, or device.auth and
   * subscriptions), each resuming after the last applied order. */
  async authenticate(connection) {
    throw new Error(`${connection.url}: authenticate() is for subclasses`);
  }

  async connect() {
    const connection = new Connection(this.baseUrl, this.constructor.endpoint, this.inbox);
    this.connection = connection;
    await connection.open();
    try {
      await this.authenticate(connection);
    } catch (error) {
      connection.close();
      throw error;
    }
    if (connection.closed) throw new ConnectionLost();
    this.up = true;
    this.setStatus("open");
    this.notify();
  }

  /** Connect until it works, with jittered exponential backoff; a failure that cannot
   * be cured (a refused session, a key that does not verify) stops the session. */
  async connectRetrying() {
    let delay = BACKOFF_FIRST_MS;
    while (!this.stopping) {
      try {
        await this.connect();
        return;
      } catch (error) {
        if (!isTransient(error)) {
          this.fail(error);
          throw error;
        }
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
    }
  }

  fail(error) {
    this.report(error, {});
    this.stop();
  }

  /** Resolve to the live connection once one other than `old` is authenticated (pass
   * `null` for "the current one"); rejects with ConnectionLost once the session stops. */
  async connectedAfter(old) {
    while (!this.stopping && (this.connection === old || !this.up)) {
      await new Promise((resolve) => this.waiters.push(resolve));
    }
    if (this.stopping) throw new ConnectionLost("session stopped");
    return this.connection;
  }

  notify() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  setStatus(status) {
    if (this.status === status || this.status === "closed") return;
    this.status = status;
    this.call("onStatus", status);
  }

  call(name, ...args) {
    const callback = this.callbacks[name];
    if (!callback) return;
    try {
      callback(...args);
    } catch (error) {
      // A page's callback must not stop the protocol; the console still shows it.
      console.error(error);
    }
  }

  report(error, context) {
    this.call("onError", error, context);
  }

  // -- requests ----------------------------------------------------------------------

  /**
   * Send a frame and wait for its answer, across reconnections: a request lost with
   * its socket is sent again on the next one. Only for frames whose repetition is
   * harmless: envelopes and commits (idempotent), or a `conversation.open` (a lost
   * first one leaves an empty conversation that expires).
   */
  async requestReliably(frame) {
    let delayed = false;
    let delay = BACKOFF_FIRST_MS;
    try {
      for (;;) {
        const connection = await this.connectedAfter(null);
        try {
          return await connection.request(frame);
        } catch (error) {
          if (!isTransient(error)) throw error;
          if (error instanceof ServerRefused && error.code === "rate_limited") {
            // Slowed down: the same frame goes again on the same socket when allowed.
            await sleep(error.frame.retry_after_ms || 100);
            continue;
          }
          if (!delayed) {
            // The page says so: sending is delayed, and will be tried again by itself.
            delayed = true;
            this.delayedChange(+1);
          }
          if (error instanceof ServerRefused) {
            // `internal`: the server stored nothing (its database is away) but the
            // socket is fine: the same frame again on it — or on the next one, should
            // it drop meanwhile — with jittered backoff. Waiting for a new connection
            // instead left the send pending for as long as the socket stayed up.
            await sleep(delay + Math.random() * delay);
            delay = Math.min(delay * 2, BACKOFF_MAX_MS);
            continue;
          }
          if (error instanceof RequestTimeout) connection.close(); // a link that hangs
          await this.connectedAfter(connection);
        }
      }
    } finally {
      if (delayed) this.delayedChange(-1);
    }
  }

  /** How many sends are being tried again; `onDelayed(count)` tells the page. */
  delayedChange(step) {
    this.delayed = Math.max(0, this.delayed + step);
    this.call("onDelayed", this.delayed);
  }

  /**
   * Seal content in the conversation's current epoch and send it; resolves to its order.
   * An envelope refused with `epoch_closed` (an interpreter left and the epoch without
   * them is not made yet, docs/protocol.md §5.4) is held until a newer epoch is applied,
   * then sealed again in it and sent: never lost.
   */
  async sendSealed(state, content, contentType = "text") {
    for (;;) {
      const envelope = await state.seal(content, contentType);
      try {
        return await this.sendEnvelope(envelope);
      } catch (error) {
        if (!(error instanceof ServerRefused) || error.code !== "epoch_closed") throw error;
        await this.epochAfter(state, envelope.epoch);
      }
    }
  }

  /** Resolve once the state holds an epoch after `epoch` (however long that takes). */
  async epochAfter(state, epoch) {
    while (state.currentEpoch <= epoch) {
      if (this.stopping) throw new ConnectionLost("session stopped");
      await new Promise((resolve) => this.waiters.push(resolve));
    }
  }

  /** Send an envelope until the server acknowledges it; resolves to its order. */
  async sendEnvelope(envelope) {
    const ack = await this.requestReliably({ type: "envelope.send", envelope });
    this.inbox.put({ type: "own", conversation_id: envelope.conversation_id, order: ack.order });
    return ack.order;
  }

  /**
   * "Someone is writing" (docs/protocol.md §6.5): `{"kind": "typing"}` sealed in the
   * current epoch like any event, sent once, never stored, no answer. Best effort: not
   * sent without a connection or an epoch to write in.
   */
  async typingSend(state) {
    if (!this.up || state.currentEpoch < 0) return;
    const connection = this.connection;
    const envelope = await state.seal(TYPING_CONTENT, "event");
    connection.send({ type: "typing", envelope });
  }

  /** Send a `delivered` or `read` receipt (no answer comes back; best effort). */
  async receiptSend(conversationId, kind, order) {
    const connection = await this.connectedAfter(null);
    connection.send({ type: "receipt", conversation_id: conversationId, kind, order });
  }

  /** Ask for everything after the last applied order of a conversation. */
  async sync(conversationId) {
    const followed = this.conversations.get(conversationId);
    if (!followed || !this.up) return;
    try {
      await this.connection.request({
        type: "sync",
        conversation_id: conversationId,
        after: followed.lastOrder,
      });
    } catch (error) {
      if (!isTransient(error)) this.report(error, { conversationId });
    }
  }

  /** Heartbeat: a ping that finds a dead socket, and a sync where the server is ahead. */
  async ping() {
    if (!this.up) return;
    const connection = this.connection;
    let pong;
    try {
      pong = await connection.request({ type: "ping" }, { timeoutMs: PING_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof RequestTimeout) connection.close();
      return;
    }
    for (const [conversationId, last] of Object.entries(pong.last_orders)) {
      const followed = this.conversations.get(conversationId);
      if (followed && last > followed.lastOrder) await this.sync(conversationId);
    }
  }

  // -- processing --------------------------------------------------------------------

  async process() {
    while (!this.stopping) {
      const item = await this.inbox.get();
      if (item.type === CLOSED) {
        if (item.connection === this.connection && !this.stopping) await this.reconnect();
        continue;
      }
      try {
        await this.handle(item);
      } catch (error) {
        if (!isTransient(error)) this.report(error, {});
      }
    }
  }

  async reconnect() {
    this.up = false;
    this.setStatus("reconnecting");
    try {
      await this.connectRetrying();
    } catch {
      // connectRetrying reported it and stopped the session.
    }
  }

  async handle(item) {
    const followed = this.conversations.get(item.conversation_id);
    switch (item.type) {
      case "own":
        if (followed === undefined) return; // unsubscribed meanwhile
        followed.ownOrders.add(item.order);
        await this.advance(followed);
        break;
      case "commit":
      case "envelope":
        if (followed === undefined || item.order <= followed.lastOrder) return;
        followed.pending.set(item.order, item);
        await this.advance(followed);
        break;
      case "conversation.state":
        if (followed) {
          followed.state.visitorSigPk = item.visitor_sig_pk;
          followed.state.visitorKemPk = item.visitor_kem_pk; // for a rekey
        }
        break;
      case "receipt":
        if (item.by !== this.partyKind) {
          this.call("onReceipt", {
            conversationId: item.conversation_id,
            kind: item.kind,
            order: item.order,
            by: item.by,
          });
        }
        break;
      case "conversation.activity":
        this.activity(item);
        break;
      case "staff.event":
        this.staffEvent(item);
        break;
      case "news":
        // Dashboard news, coalesced (one frame a second, chat/news.py): each item as if it had come alone.
        for (const news of item.items) await this.handle(news);
        break;
      case "helpline.status":
        this.helplineStatus(item);
        break;
      case "open.challenge":
        this.openChallenge(item);
        break;
      case "conversation.deleted":
        this.conversationDeleted(item);
        break;
      case "conversation.route":
        this.conversationRoute(item);
        break;
      case "typing":
        if (followed) await this.typingOpen(followed, item.envelope);
        break;
      case "sync.done":
        if (followed && this.seesPart) await this.backlogDone(followed, item.last_order);
        // A backlog comes a page at a time: the items before this frame are applied, so
        // ask for the next page from where they ended.
        if (followed && item.more) this.sync(item.conversation_id);
        break;
      case "error":
        this.report(new ServerRefused(item), {});
        break;
      default:
        break; // frames of later protocol versions
    }
  }

  /** A followed conversation is gone from the server (deleted, expired): forget it, say so. */
  conversationDeleted(item) {
    const followed = this.conversations.get(item.conversation_id);
    if (followed) clearTimeout(followed.gapTimer);
    this.conversations.delete(item.conversation_id);
    this.call("onDeleted", { conversationId: item.conversation_id, reason: item.reason });
  }

  /** Staff sessions pass `conversation.activity` on. */
  activity() {}

  /** Staff sessions pass `staff.event` on (routing, presence, shifts; ops/README.md). */
  staffEvent() {}

  /** Visitor sessions pass `helpline.status` on. */
  helplineStatus() {}

  /** Visitor sessions keep the latest `open.challenge` (docs/protocol.md §8.3.1). */
  openChallenge() {}

  /** Visitor sessions pass `conversation.route` on. */
  conversationRoute() {}

  /** Someone else writes: told only if the envelope opens (their key, this epoch) and
   * holds a typing event; anything else in a typing frame is dropped. */
  async typingOpen(followed, envelope) {
    const state = followed.state;
    if (!state.secrets.has(envelope.epoch) || state.sentHere(envelope)) return;
    try {
      await this.certsEnsure(state, [envelope.sender]);
      const message = await state.envelopeOpen(envelope, null);
      if (message.event?.kind !== "typing" || message.mine) return;
    } catch (error) {
      if (isTransient(error)) throw error;
      return; // not verified: not shown, and not worth a warning
    }
    this.call("onTyping", { conversationId: state.conversationId, sender: envelope.sender });
  }

  async advance(followed) {
    for (;;) {
      const next = followed.lastOrder + 1;
      if (followed.ownOrders.has(next)) {
        followed.ownOrders.delete(next);
      } else if (followed.pending.has(next)) {
        const item = followed.pending.get(next);
        followed.pending.delete(next);
        await this.apply(followed, item);
      } else {
        break;
      }
      followed.lastOrder = next;
    }
    for (const order of followed.ownOrders) {
      if (order <= followed.lastOrder) followed.ownOrders.delete(order);
    }
    for (const order of followed.pending.keys()) {
      if (order <= followed.lastOrder) followed.pending.delete(order);
    }
    this.notify();
    if (followed.pending.size && followed.gapTimer === null) {
      followed.gapTimer = setTimeout(() => {
        followed.gapTimer = null;
        if (followed.pending.size) this.sync(followed.state.conversationId);
      }, GAP_WAIT_MS);
    }
  }

  /**
   * The end of a backlog, for a session that sees only part of a conversation (an
   * interpreter): the orders between the items sent are not gaps but items of epochs it
   * is not in. Apply what came, in order, up to the backlog's last order.
   */
  async backlogDone(followed, lastOrder) {
    const orders = [...followed.pending.keys()].filter((order) => order <= lastOrder);
    for (const order of orders.sort((a, b) => a - b)) {
      followed.lastOrder = Math.max(followed.lastOrder, order - 1);
      await this.advance(followed);
    }
    followed.lastOrder = Math.max(followed.lastOrder, lastOrder);
    await this.advance(followed);
  }

  /** Apply one item in order. An item that does not verify (or cannot be read) is
   * reported and skipped: the user is warned, the epoch or message is not used. A lost
   * connection leaves it unapplied, to come again with the re-sync. */
  async apply(followed, item) {
    const state = followed.state;
    const context = { conversationId: state.conversationId, order: item.order };
    try {
      if (item.type === "commit") {
        const devices = item.commit.members.filter((m) => m.kind === "device").map((m) => m.id);
        await this.certsEnsure(state, [item.commit.author, ...devices]);
        const previous = state.commits.get(item.commit.epoch - 1)?.commit ?? null;
        await state.commitAccept(item.commit, item.signature, item.wrap);
        this.call("onCommit", {
          conversationId: state.conversationId,
          order: item.order,
          epoch: item.commit.epoch,
          reason: item.commit.reason,
          changes: interpreterChanges(previous, item.commit),
        });
        return;
      }
      await this.certsEnsure(state, [item.envelope.sender]);
      const message = await state.envelopeOpen(item.envelope, item.order, item.received_at);
      if (!state.sentHere(item.envelope)) this.deliver(message);
    } catch (error) {
      if (isTransient(error)) throw error;
      this.report(error, context);
    }
  }

  /** Hand a decrypted message to the page. */
  deliver(message) {
    this.call("onMessage", message);
  }

  /** Fetch and verify the certificates of devices this conversation has not seen yet. */
  async certsEnsure(state, partyIds) {
    const missing = state.unknownDevices(partyIds);
    if (!missing.length) return;
    const answer = await this.connection.request({ type: "certs.get", device_ids: missing });
    for (const cert of answer.certs) await state.certAdd(cert);
  }

  /** Resolve once `predicate()` holds, checked after every applied item. */
  async until(predicate, { timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.stopping) throw new ConnectionLost("session stopped");
      if (Date.now() > deadline) throw new RequestTimeout("the awaited state");
      await Promise.race([
        new Promise((resolve) => this.waiters.push(resolve)),
        sleep(Math.max(0, deadline - Date.now()) + 1),
      ]);
    }
  }
}
