/**
 * The staff app's state: the conversations this device follows and their decrypted
 * messages, in memory only (nothing decrypted is ever stored). No DOM, no socket: the
 * workspace feeds it what the StaffSession reports and renders what it says.
 *
 * Unread counts are per device: the last order read in each conversation is kept in
 * localStorage (conversation ids and numbers only, never content).
 * @module
 */

const READ_KEY = "helpline-staff-read:";
const VISITOR = "visitor";

/** Per conversation: what the list and the view show. */
export class Conversation {
  constructor(summary) {
    this.id = summary.conversation_id;
    this.state = summary.state ?? "open";
    this.language = summary.language ?? "";
    this.createdAt = summary.created_at ?? Math.floor(Date.now() / 1000);
    this.lastActivityAt = summary.last_activity_at ?? this.createdAt;
    this.lastOrder = summary.last_order ?? 0;
    this.messages = new Map(); // key (order, or a local id while sending) → message
    this.labels = new Map(); // sender device id → label from its profile event
    this.subscribed = false;
    this.deliveredSent = 0; // highest order a delivered receipt was sent for
    this.readSent = 0;
    this.receipts = { delivered: 0, read: 0 }; // what the visitor acknowledged
  }

  /** Messages in conversation order; those still sending come last. */
  ordered() {
    return [...this.messages.values()].sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity));
  }

  /** Text messages only (events such as profiles are not shown as bubbles). */
  texts() {
    return this.ordered().filter((message) => message.contentType === "text");
  }

  /** "new" (nobody wrote yet), "waiting" (the visitor wrote last), "answered", "closed". */
  waitingState() {
    if (this.state === "closed") return "closed";
    const texts = this.texts().filter((message) => message.text !== null);
    if (!texts.length) return "new";
    return texts.at(-1).sender === VISITOR ? "waiting" : "answered";
  }

  /** Highest order of a message written by someone else than this device. */
  lastOthersOrder() {
    let last = 0;
    for (const message of this.messages.values()) {
      if (!message.mine && message.order) last = Math.max(last, message.order);
    }
    return last;
  }
}

export class Inbox {
  constructor({ owner }) {
    this.owner = owner;
    this.conversations = new Map();
    this.readOrders = this.#readLoad();
    this.localCounter = 0;
  }

  #readLoad() {
    try {
      return JSON.parse(localStorage.getItem(READ_KEY + this.owner) ?? "{}");
    } catch {
      return {};
    }
  }

  #readSave() {
    try {
      localStorage.setItem(READ_KEY + this.owner, JSON.stringify(this.readOrders));
    } catch {
      // Storage full or refused: unread counts reset on the next visit, nothing worse.
    }
  }

  /** Merge the server's list (`conversation.list`); returns the new conversations. */
  merge(summaries) {
    const added = [];
    for (const summary of summaries) {
      let conversation = this.conversations.get(summary.conversation_id);
      if (conversation === undefined) {
        conversation = new Conversation(summary);
        this.conversations.set(conversation.id, conversation);
        added.push(conversation);
      } else {
        conversation.state = summary.state;
        conversation.language = summary.language;
        conversation.createdAt = summary.created_at ?? conversation.createdAt;
        conversation.lastActivityAt = Math.max(conversation.lastActivityAt, summary.last_activity_at);
        conversation.lastOrder = Math.max(conversation.lastOrder, summary.last_order);
      }
    }
    const known = new Set(summaries.map((summary) => summary.conversation_id));
    for (const id of Object.keys(this.readOrders)) {
      if (!known.has(id) && !this.conversations.has(id)) delete this.readOrders[id];
    }
    return added;
  }

  /** The conversation of a dashboard route (ops/static/ops/shift-state.js), made from
   * what the route says when this device has not listed it yet. */
  ensure(route) {
    let conversation = this.conversations.get(route.conversation_id);
    if (conversation === undefined) {
      conversation = new Conversation({
        conversation_id: route.conversation_id,
        state: route.state === "closed" ? "closed" : "open",
        language: route.language,
        last_order: route.last_order ?? 0,
      });
      this.conversations.set(conversation.id, conversation);
    } else {
      conversation.lastOrder = Math.max(conversation.lastOrder, route.last_order ?? 0);
    }
    return conversation;
  }

  /** `conversation.activity`: returns the conversation, or null when it is unknown. */
  activity({ conversationId, lastOrder }) {
    const conversation = this.conversations.get(conversationId);
    if (conversation === undefined) return null;
    conversation.lastOrder = Math.max(conversation.lastOrder, lastOrder);
    conversation.lastActivityAt = Math.floor(Date.now() / 1000);
    return conversation;
  }

  /** A decrypted message from the session. */
  message(message) {
    const conversation = this.conversations.get(message.conversationId);
    if (conversation === undefined) return null;
    if (message.contentType === "event" && message.event?.kind === "profile") {
      if (typeof message.event.label === "string") {
        conversation.labels.set(message.sender, message.event.label.slice(0, 64));
      }
    }
    conversation.messages.set(message.order, { ...message, status: message.mine ? "sent" : null });
    conversation.lastOrder = Math.max(conversation.lastOrder, message.order);
    if (message.receivedAt) {
      conversation.lastActivityAt = Math.max(conversation.lastActivityAt, message.receivedAt);
    }
    return conversation;
  }

  /** A text this device is sending: shown at once, confirmed by `sent()`. */
  sending(conversation, text) {
    const key = `local-${++this.localCounter}`;
    conversation.messages.set(key, {
      key,
      conversationId: conversation.id,
      order: null,
      sender: null,
      mine: true,
      contentType: "text",
      text,
      receivedAt: Math.floor(Date.now() / 1000),
      status: "sending",
    });
    conversation.lastActivityAt = Math.floor(Date.now() / 1000);
    return key;
  }

  sent(conversation, key, order) {
    const message = conversation.messages.get(key);
    conversation.messages.delete(key);
    conversation.messages.set(order, { ...message, key: undefined, order, status: "sent" });
    conversation.lastOrder = Math.max(conversation.lastOrder, order);
  }

  failed(conversation, key) {
    const message = conversation.messages.get(key);
    if (message) message.status = "failed";
  }

  /** A receipt from the visitor: our messages up to `order` were delivered or read. */
  receipt({ conversationId, kind, order, by }) {
    const conversation = this.conversations.get(conversationId);
    if (conversation === undefined || by !== VISITOR) return null;
    conversation.receipts[kind] = Math.max(conversation.receipts[kind], order);
    if (kind === "read") {
      conversation.receipts.delivered = Math.max(conversation.receipts.delivered, order);
    }
    return conversation;
  }

  /** Delivery state of one of our messages: sending, failed, sent, delivered, read. */
  deliveryOf(conversation, message) {
    if (message.status === "sending" || message.status === "failed") return message.status;
    if (message.order <= conversation.receipts.read) return "read";
    if (message.order <= conversation.receipts.delivered) return "delivered";
    return "sent";
  }

  unread(conversation) {
    const read = this.readOrders[conversation.id] ?? 0;
    let count = 0;
    for (const message of conversation.messages.values()) {
      if (!message.mine && message.order > read && message.contentType === "text") count++;
    }
    return count;
  }

  /** Mark everything up to the last message from others as read; returns that order
   * if it moved (so a read receipt is due), else 0. */
  markRead(conversation) {
    const last = conversation.lastOthersOrder();
    if (last <= (this.readOrders[conversation.id] ?? 0)) return 0;
    this.readOrders[conversation.id] = last;
    this.#readSave();
    return last;
  }

  /** Conversations, newest activity first. */
  sorted() {
    return [...this.conversations.values()].sort(
      (a, b) => b.lastActivityAt - a.lastActivityAt || b.lastOrder - a.lastOrder,
    );
  }
}
