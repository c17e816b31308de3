/**
 * The staff workspace once this device is certified: the conversation list and the open
 * conversation, wired to a StaffSession (chat/static/chat/protocol/staff.js). Messages
 * are decrypted in this page and only live in its memory.
 *
 * The layout has a column for lists (conversations now; queues and shifts later) and
 * the conversation itself.
 * @module
 */

import { StaffSession } from "../chat/protocol/staff.js";
import { byId, el, replaceChildren } from "./elements.js";
import { Inbox } from "./inbox.js";
import { pageLanguage, t } from "./strings.js";

// Open conversations are followed as soon as the list comes, so unread counts and
// "waiting" are right; closed ones only when opened. A helpline has tens, not
// thousands, of open conversations at a time.
const FOLLOW_AT_START = 50;
const LIST_REFRESH_MS = 300;
const TEXT_MAX = 8000;

function shortId(id) {
  return id.slice(0, 4) + "·" + id.slice(4, 8);
}

function languageName(code) {
  if (!code) return "?";
  try {
    const names = new Intl.DisplayNames([pageLanguage()], { type: "language" });
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

function capitalised(text) {
  return text ? text[0].toLocaleUpperCase(pageLanguage()) + text.slice(1) : text;
}

function clock(seconds) {
  const when = new Date(seconds * 1000);
  const today = new Date();
  const sameDay = when.toDateString() === today.toDateString();
  const options = sameDay
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  return when.toLocaleString(pageLanguage(), options);
}

export class Workspace {
  constructor({ owner, record, label, adminFingerprint, onFatal }) {
    this.record = record;
    this.label = label;
    this.adminFingerprint = adminFingerprint;
    this.onFatal = onFatal;
    this.inbox = new Inbox({ owner });
    this.selected = null;
    this.session = null;
    this.listTimer = null;
    this.rendering = false;
    this.stopped = false;
    this.lastError = null;
  }

  async start() {
    this.session = new StaffSession({
      baseUrl: location.origin,
      device: {
        deviceId: this.record.deviceId,
        kemPair: this.record.kemPair,
        sigPair: this.record.sigPair,
      },
      adminFingerprint: this.adminFingerprint,
      label: this.label,
      onMessage: (message) => this.onMessage(message),
      onStatus: (status) => this.onStatus(status),
      onActivity: (activity) => this.onActivity(activity),
      onReceipt: (receipt) => this.onReceipt(receipt),
      onError: (error, context) => this.onError(error, context),
    });
    this.bind();
    byId("workspace").hidden = false;
    await this.session.start();
    await this.listRefresh();
  }

  stop() {
    this.stopped = true;
    this.session?.stop();
  }

  /** Handlers are assigned, not added: a workspace started again replaces them. */
  bind() {
    byId("composer").onsubmit = (event) => {
      event.preventDefault();
      this.send();
    };
    byId("composer-text").onkeydown = (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    };
    document.onvisibilitychange = () => this.readIfSeen();
    window.onfocus = () => this.readIfSeen();
  }

  // -- the session's callbacks ----------------------------------------------------------

  onStatus(status) {
    const line = byId("connection-status");
    line.dataset.status = status;
    line.textContent = t(`status.${status}`);
    // The session stops by itself only on a failure no retry can cure (this device was
    // revoked, its certificate expired, the admin key does not match the pinned one).
    if (status === "closed" && !this.stopped) {
      this.stopped = true;
      this.onFatal(this.lastError ?? new Error(t("status.closed")));
      return;
    }
    // After a reconnection, conversations opened meanwhile are only in the list.
    if (status === "open" && this.inbox.conversations.size) this.listRefreshSoon();
  }

  onActivity(activity) {
    const conversation = this.inbox.activity(activity);
    if (conversation === null) {
      this.listRefreshSoon();
      return;
    }
    if (!conversation.subscribed) this.follow(conversation);
    this.renderList();
  }

  onMessage(message) {
    const conversation = this.inbox.message(message);
    if (conversation === null) return;
    if (!message.mine && message.contentType === "text" && message.text !== null) {
      this.announce(conversation, message);
    }
    if (!message.mine && message.contentType === "text" && message.order > conversation.deliveredSent) {
      conversation.deliveredSent = message.order;
      this.receipt(() => this.session.markDelivered(conversation.id, message.order));
    }
    this.renderSoon(conversation);
  }

  onReceipt(receipt) {
    const conversation = this.inbox.receipt(receipt);
    if (conversation !== null && conversation === this.selected) this.renderSoon(conversation);
  }

  onError(error, context) {
    this.lastError = error;
    console.warn("staff session:", error, context);
  }

  /** Tell screen readers about a new message (the list itself is not a live region:
   * it is redrawn whole, which would read everything again). */
  announce(conversation, message) {
    const who = this.whoLabel(conversation, message);
    byId("announcer").textContent =
      conversation === this.selected
        ? t("announce.message", { who, text: message.text })
        : t("announce.elsewhere", { who, language: languageName(conversation.language) });
  }

  receipt(send) {
    Promise.resolve()
      .then(send)
      .catch(() => {}); // best effort: the next one covers it
  }

  // -- the list -------------------------------------------------------------------------

  listRefreshSoon() {
    clearTimeout(this.listTimer);
    this.listTimer = setTimeout(() => this.listRefresh().catch((e) => this.onError(e, {})), LIST_REFRESH_MS);
  }

  async listRefresh() {
    const summaries = await this.session.listConversations();
    this.inbox.merge(summaries);
    const open = this.inbox.sorted().filter((c) => c.state === "open" && !c.subscribed);
    this.renderList();
    for (const conversation of open.slice(0, FOLLOW_AT_START)) await this.follow(conversation);
  }

  async follow(conversation) {
    if (conversation.subscribed) return;
    conversation.subscribed = true;
    try {
      await this.session.subscribe(conversation.id);
    } catch (error) {
      conversation.subscribed = false;
      this.onError(error, { conversationId: conversation.id });
    }
  }

  renderList() {
    const list = byId("conversation-list");
    const items = this.inbox.sorted().map((conversation) => this.listItem(conversation));
    replaceChildren(list, items);
    byId("conversation-list-empty").hidden = items.length > 0;
  }

  listItem(conversation) {
    const waiting = conversation.waitingState();
    const unread = this.inbox.unread(conversation);
    const last = conversation.texts().at(-1);
    const title = capitalised(languageName(conversation.language));
    const button = el(
      "button",
      {
        type: "button",
        class: "conversation-item",
        "aria-current": conversation === this.selected ? "true" : "false",
        dataset: { conversationId: conversation.id, waiting },
        onclick: () => this.select(conversation),
      },
      el(
        "span",
        { class: "title" },
        title,
        el("span", { class: `tag tag-${waiting}` }, t(`list.${waiting}`)),
      ),
      el("span", { class: "when" }, clock(conversation.lastActivityAt)),
      el("span", { class: "meta" }, last?.text ? this.preview(last) : `#${shortId(conversation.id)}`),
      unread
        ? el(
            "span",
            { class: "unread" },
            el("span", { "aria-hidden": "true" }, String(unread)),
            el("span", { class: "visually-hidden" }, t("list.unread", { n: unread })),
          )
        : el("span"),
    );
    return el("li", {}, button);
  }

  preview(message) {
    let text = message.text.replace(/\s+/g, " ");
    if (text.length > 60) text = text.slice(0, 60) + "…";
    return message.mine ? t("preview.mine", { text }) : text;
  }

  // -- the conversation -------------------------------------------------------------------

  async select(conversation) {
    this.selected = conversation;
    byId("conversation-none").hidden = true;
    byId("conversation-open").hidden = false;
    this.renderConversation(conversation, { scroll: true });
    this.renderList();
    byId("composer-text").focus();
    await this.follow(conversation);
    this.readIfSeen();
  }

  readIfSeen() {
    const conversation = this.selected;
    if (conversation === null || document.visibilityState !== "visible") return;
    const order = this.inbox.markRead(conversation);
    if (order > conversation.readSent) {
      conversation.readSent = order;
      this.receipt(() => this.session.markRead(conversation.id, order));
      this.renderList();
    }
  }

  whoLabel(conversation, message) {
    if (message.mine) return t("party.you");
    if (message.sender === "visitor") return t("party.visitor");
    return conversation.labels.get(message.sender) ?? t("party.colleague");
  }

  messageItem(conversation, message) {
    const kind = message.mine ? "own" : message.sender === "visitor" ? "visitor" : "colleague";
    let info = clock(message.receivedAt ?? Math.floor(Date.now() / 1000));
    if (message.mine) info += " · " + t(`message.${this.inbox.deliveryOf(conversation, message)}`);
    const text = message.text ?? t("message.unreadable");
    return el(
      "li",
      {
        class: `message message-${kind}${message.status === "failed" ? " message-failed" : ""}`,
        dataset: { order: message.order ?? "", sender: kind },
      },
      el("span", { class: "who" }, this.whoLabel(conversation, message)),
      el("p", { class: "bubble" }, text),
      el("span", { class: "info" }, info),
    );
  }

  renderConversation(conversation, { scroll = false } = {}) {
    const messages = byId("messages");
    const nearBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
    byId("conversation-title").textContent =
      `${capitalised(languageName(conversation.language))} · #${shortId(conversation.id)}`;
    const meta = [
      t("conversation.started", { when: clock(conversation.createdAt) }),
      t(`list.${conversation.waitingState()}`),
    ];
    byId("conversation-meta").textContent = meta.join(" · ");
    const items = conversation.texts().map((message) => this.messageItem(conversation, message));
    if (conversation.state === "closed") {
      items.push(el("li", { class: "message-system" }, t("conversation.closed")));
    }
    replaceChildren(messages, items);
    byId("composer-text").disabled = conversation.state === "closed";
    byId("composer-send").disabled = conversation.state === "closed";
    if (scroll || nearBottom) messages.scrollTop = messages.scrollHeight;
  }

  /** Re-render once per animation frame, however many messages a backlog brings. */
  renderSoon(conversation) {
    this.dirty = this.dirty ?? new Set();
    this.dirty.add(conversation);
    if (this.rendering) return;
    this.rendering = true;
    requestAnimationFrame(() => {
      this.rendering = false;
      const dirty = this.dirty;
      this.dirty = new Set();
      if (this.selected !== null && dirty.has(this.selected)) {
        this.renderConversation(this.selected);
        this.readIfSeen();
      }
      this.renderList();
    });
  }

  async send() {
    const conversation = this.selected;
    const input = byId("composer-text");
    const problem = byId("composer-error");
    const text = input.value.trim();
    if (conversation === null || !text) return;
    if ([...text].length > TEXT_MAX) {
      problem.textContent = t("composer.too_long");
      problem.hidden = false;
      return;
    }
    problem.hidden = true;
    input.value = "";
    const key = this.inbox.sending(conversation, text);
    this.renderConversation(conversation, { scroll: true });
    this.renderList();
    try {
      const order = await this.session.sendText(conversation.id, text);
      this.inbox.sent(conversation, key, order);
    } catch (error) {
      this.inbox.failed(conversation, key);
      problem.textContent = t("composer.failed");
      problem.hidden = false;
      if (!input.value) input.value = text;
      this.onError(error, { conversationId: conversation.id });
    }
    this.renderSoon(conversation);
  }
}
