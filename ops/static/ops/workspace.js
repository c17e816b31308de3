/**
 * The staff workspace once this device is certified: the shift dashboard (dashboard.js:
 * queue, my conversations, colleagues, shift) around the open conversation, wired to a
 * StaffSession (chat/static/chat/protocol/staff.js). Messages are decrypted in this page
 * and only live in its memory.
 *
 * The conversations the dashboard shows (the queue and mine) are followed as soon as
 * they appear, so previews, unread counts and "waiting" are right; a helpline has tens,
 * not thousands, of them at a time.
 * @module
 */

import { CannedPicker } from "./canned-picker.js";
import { panelAvailable, panelOpen, panelsBind } from "./conversation-panels.js";
import { Dashboard } from "./dashboard.js";
import { staffSessionFor } from "./device.js";
import { ApiError } from "./http.js";
import { byId, el, replaceChildren } from "./elements.js";
import { Inbox } from "./inbox.js";
import { InterpreterDesk } from "./interpreter-desk.js";
import { OutcomeForm } from "./outcome-form.js";
import { routeClaim } from "./shift-api.js";
import { t } from "./strings.js";
import { capitalised, clockText, languageName } from "./time-text.js";

const FOLLOW_AT_MOST = 50;
const LIST_REFRESH_MS = 300;
const TEXT_MAX = 8000;
// "Someone is writing" (docs/protocol.md §6.5): sent at most this often while typing,
// shown this long after the visitor's last one. Whether to send it is this browser's
// choice, kept in its storage (on the staff's own device).
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 6000;
const TYPING_OFF_KEY = "helpline.typing-hidden";

function shortId(id) {
  return id.slice(0, 4) + "·" + id.slice(4, 8);
}

function clock(seconds) {
  const when = new Date(seconds * 1000);
  const sameDay = when.toDateString() === new Date().toDateString();
  if (sameDay) return clockText(seconds);
  return when.toLocaleString(document.documentElement.lang || "fr", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export class Workspace {
  constructor({ owner, record, label, publicRole = null, adminFingerprint, onFatal }) {
    this.record = record;
    this.label = label;
    this.publicRole = publicRole;
    this.typingSentAt = 0;
    this.typingLater = null; // a "writing" to send when the interval is over
    this.visitorTyping = null; // {conversationId, timer} while the visitor writes
    this.adminFingerprint = adminFingerprint;
    this.onFatal = onFatal;
    this.inbox = new Inbox({ owner });
    this.dashboard = new Dashboard({ owner, workspace: this });
    this.interpreters = new InterpreterDesk({ workspace: this });
    this.selected = null;
    this.session = null;
    this.listTimer = null;
    this.rendering = false;
    this.stopped = false;
    this.lastError = null;
    this.wasOpen = false;
  }

  async start() {
    this.session = staffSessionFor({
      record: this.record,
      adminFingerprint: this.adminFingerprint,
      label: this.label,
      publicRole: this.publicRole,
      onTyping: (typing) => this.onTyping(typing),
      onMessage: (message) => this.onMessage(message),
      onStatus: (status) => this.onStatus(status),
      onActivity: (activity) => this.onActivity(activity),
      onReceipt: (receipt) => this.onReceipt(receipt),
      onStaffEvent: (event) => this.onStaffEvent(event),
      onCommit: (commit) => this.interpreters.onCommit(commit),
      onError: (error, context) => this.onError(error, context),
      onDeleted: (deleted) => this.onDeleted(deleted),
    });
    this.bind();
    this.dashboard.start();
    byId("workspace").hidden = false;
    await this.session.start();
    // The list first (it knows when conversations were opened), then the dashboard.
    await this.listRefresh();
    await this.dashboard.load();
    await this.followVisible();
    await this.interpretersLoad();
  }

  /** The interpreter requests, and the epochs they call for. */
  async interpretersLoad() {
    try {
      await this.interpreters.load();
    } catch (error) {
      this.onError(error, {});
    }
  }

  stop() {
    this.stopped = true;
    this.dashboard.stop();
    this.session?.stop();
  }

  /** Handlers are assigned, not added: a workspace started again replaces them. */
  bind() {
    panelsBind();
    if (!this.picker) {
      this.picker = new CannedPicker({
        input: byId("composer-text"),
        conversation: () => this.selected,
        nextOpening: () => this.dashboard.state.nextOpening,
      });
    }
    if (!this.outcome) {
      this.outcome = new OutcomeForm({
        mayEdit: (id) => {
          const state = this.dashboard.state;
          return state.isCoordinator || state.route(id)?.assigned_to === state.me;
        },
      });
    }
    byId("composer").onsubmit = (event) => {
      event.preventDefault();
      this.send();
    };
    byId("composer-text").onkeydown = (event) => {
      if (this.picker?.keydown(event)) {
        event.preventDefault();
        return;
      }
      // Enter and Ctrl+Enter send; Shift+Enter is a new line; Escape leaves the field.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      } else if (event.key === "Escape") {
        event.preventDefault();
        byId("conversation-title").focus();
      }
    };
    byId("composer-text").oninput = () => this.typingTell();
    const shown = byId("typing-shown");
    if (shown) {
      shown.checked = localStorage.getItem(TYPING_OFF_KEY) === null;
      shown.onchange = () => {
        if (shown.checked) localStorage.removeItem(TYPING_OFF_KEY);
        else localStorage.setItem(TYPING_OFF_KEY, "1");
      };
    }
    document.onvisibilitychange = () => this.readIfSeen();
    window.onfocus = () => this.readIfSeen();
  }

  // -- someone is writing ---------------------------------------------------------------

  /** This person types in the open conversation: the visitor sees "… is writing", at
   * most every few seconds, unless they turned it off. */
  typingTell() {
    const conversation = this.selected;
    if (conversation === null || conversation.gone || !byId("composer-text").value.trim()) return;
    if (byId("typing-shown")?.checked === false) return;
    const wait = this.typingSentAt + TYPING_SEND_EVERY_MS - Date.now();
    if (wait > 0) {
      // Typing on within the interval: told once it is over, if still typing then.
      this.typingLater ??= setTimeout(() => {
        this.typingLater = null;
        this.typingTell();
      }, wait);
      return;
    }
    this.typingSentAt = Date.now();
    this.session?.sendTyping(conversation.id).catch(() => {});
  }

  onTyping({ conversationId, sender }) {
    if (sender !== "visitor") return;
    clearTimeout(this.visitorTyping?.timer);
    const timer = setTimeout(() => this.typingLine(null), TYPING_SHOWN_MS);
    this.visitorTyping = { conversationId, timer };
    this.typingLine(conversationId);
  }

  /** "The visitor is writing…" under the open conversation, or nothing. */
  typingLine(conversationId) {
    if (conversationId === null) {
      clearTimeout(this.visitorTyping?.timer);
      this.visitorTyping = null;
    }
    const line = document.getElementById("visitor-typing");
    if (!line) return;
    const shown = conversationId !== null && this.selected?.id === conversationId;
    line.textContent = shown ? t("conversation.visitor_typing") : "";
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
    if (status === "open") {
      // After a reconnection, events may have been missed: the dashboard loads again
      // (once, not on a timer), and conversations opened meanwhile are in the list.
      if (this.wasOpen) {
        this.listRefreshSoon();
        this.dashboard
          .load()
          .then(() => this.followVisible())
          .then(() => this.interpretersLoad());
      }
      this.wasOpen = true;
    }
  }

  onStaffEvent(event) {
    if (event.event === "interpreter.changed") this.interpreters.onChanged(event.data);
    else this.dashboard.onEvent(event);
    if (event.event === "team_key.destroyed") this.onKeysDestroyed?.();
  }

  onActivity(activity) {
    const conversation = this.inbox.activity(activity);
    if (conversation === null) {
      // A conversation this device has not listed: only ours to follow if the dashboard
      // shows it (the queue or mine); a colleague's stays with them.
      const route = this.dashboard.state.route(activity.conversationId);
      if (route !== null) this.follow(this.conversationEnsure(route));
      return;
    }
    if (!conversation.subscribed && this.dashboard.state.route(conversation.id) !== null) {
      this.follow(conversation);
    }
    this.renderList();
  }

  onMessage(message) {
    const conversation = this.inbox.message(message);
    if (conversation === null) return;
    if (message.sender === "visitor" && this.visitorTyping?.conversationId === message.conversationId) {
      this.typingLine(null); // their message came: they are no longer writing it
    }
    if (!message.mine && message.contentType === "text" && message.text !== null) {
      this.announce(conversation, message);
    }
    if (message.sender === "visitor" && message.event?.kind === "quick_exit") {
      if (conversation === this.selected) {
        byId("announcer").textContent = t("conversation.quick_exit");
      }
    }
    if (!message.mine && message.contentType === "text" && message.order > conversation.deliveredSent) {
      conversation.deliveredSent = message.order;
      this.receipt(() => this.session.markDelivered(conversation.id, message.order));
    }
    this.renderSoon(conversation);
  }

  /** The visitor deleted the conversation, or it expired. What this page
   * decrypted of it goes too; an open view says why it is empty. Called by the socket
   * (`conversation.deleted`) and the dashboard (the staff event): twice is harmless. */
  onDeleted({ conversationId, reason }) {
    const conversation = this.inbox.conversations.get(conversationId);
    if (conversation === undefined) return;
    this.inbox.conversations.delete(conversationId);
    conversation.messages.clear();
    conversation.state = "closed";
    conversation.gone = reason;
    if (conversation === this.selected) {
      this.renderConversation(conversation);
      byId("announcer").textContent = t(
        reason === "visitor" ? "conversation.deleted" : "conversation.expired",
      );
    }
    this.renderList();
  }

  onReceipt(receipt) {
    const conversation = this.inbox.receipt(receipt);
    if (conversation !== null && conversation === this.selected) this.renderSoon(conversation);
  }

  onError(error, context) {
    this.lastError = error;
    console.warn("staff session:", error, context);
  }

  /** Tell screen readers about a new message (the lists are not live regions: they are
   * redrawn whole, which would read everything again). */
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

  // -- the conversations ------------------------------------------------------------------

  listRefreshSoon() {
    clearTimeout(this.listTimer);
    this.listTimer = setTimeout(
      () => this.listRefresh().catch((e) => this.onError(e, {})),
      LIST_REFRESH_MS,
    );
  }

  /** What the server lists (when each conversation was opened, its state). */
  async listRefresh() {
    this.inbox.merge(await this.session.listConversations());
    this.renderList();
  }

  /** The inbox's conversation for a dashboard route. */
  conversationEnsure(route) {
    return this.inbox.ensure(route);
  }

  /** Follow what the dashboard shows: the queue first (who waits), then mine. */
  async followVisible() {
    const routes = this.dashboard.visibleRoutes().slice(0, FOLLOW_AT_MOST);
    for (const route of routes) await this.follow(this.conversationEnsure(route));
  }

  async follow(conversationOrId) {
    const conversation =
      typeof conversationOrId === "string"
        ? this.inbox.conversations.get(conversationOrId)
        : conversationOrId;
    if (!conversation || conversation.subscribed) return;
    conversation.subscribed = true;
    try {
      const subscribed = await this.session.subscribe(conversation.id);
      await this.rekeyWhenDue(conversation.id, subscribed.last_order);
    } catch (error) {
      conversation.subscribed = false;
      this.onError(error, { conversationId: conversation.id });
    }
  }

  /** A conversation whose current epoch is under an older team key moves to
   * the newest one with a `rekey` epoch made here (StaffSession.rotateEpoch). */
  async rekeyWhenDue(conversationId, lastOrder) {
    await this.session.caughtUp(conversationId, lastOrder);
    await this.session.rotateEpoch(conversationId);
  }

  renderList() {
    this.dashboard.renderLists();
  }

  preview(message) {
    let text = message.text.replace(/\s+/g, " ");
    if (text.length > 60) text = text.slice(0, 60) + "…";
    return message.mine ? t("preview.mine", { text }) : text;
  }

  // -- the conversation -------------------------------------------------------------------

  async select(conversationOrId) {
    let conversation = conversationOrId;
    if (typeof conversationOrId === "string") {
      const route = this.dashboard.state.route(conversationOrId);
      conversation =
        this.inbox.conversations.get(conversationOrId) ??
        this.conversationEnsure(route ?? { conversation_id: conversationOrId });
    }
    if (this.selected !== conversation) {
      this.picker?.reset();
      // Another visitor, other notes: the drawer opens closed (a handed-over
      // conversation opens on its notes, dashboard.js).
      if (this.selected !== null) panelOpen(null);
    }
    this.selected = conversation;
    byId("conversation-none").hidden = true;
    byId("conversation-open").hidden = false;
    this.renderConversation(conversation, { scroll: true });
    this.typingLine(this.visitorTyping?.conversationId ?? null);
    this.renderList();
    byId("composer-text").focus();
    await this.follow(conversation);
    this.interpreters.reconcile(conversation.id);
    this.readIfSeen();
  }

  composerFocus() {
    if (this.selected === null) return false;
    byId("composer-text").focus();
    return true;
  }

  renderSelected() {
    if (this.selected !== null) this.renderConversation(this.selected);
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

  /** Say something to screen readers. */
  announceText(text) {
    byId("announcer").textContent = text;
  }

  whoLabel(conversation, message) {
    if (message.mine) return t("party.you");
    if (message.sender === "visitor") return t("party.visitor");
    if (conversation.interpreters?.has(message.sender)) return t("party.interpreter");
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
    const items = conversation
      .ordered()
      .filter((message) => ["text", "system"].includes(message.contentType) || isQuickExit(message))
      .map((message) => {
        if (message.contentType === "system") {
          return el("li", { class: "message-system message-interpreter" }, message.text);
        }
        return isQuickExit(message)
          ? el("li", { class: "message-system message-quick-exit" }, t("conversation.quick_exit"))
          : this.messageItem(conversation, message);
      });
    if (conversation.gone) {
      const key = conversation.gone === "visitor" ? "conversation.deleted" : "conversation.expired";
      items.push(el("li", { class: "message-system message-deleted" }, t(key)));
    } else if (conversation.state === "closed") {
      items.push(el("li", { class: "message-system" }, t("conversation.closed")));
    }
    replaceChildren(messages, items);
    byId("composer-text").disabled = conversation.state === "closed";
    byId("composer-send").disabled = conversation.state === "closed";
    this.renderTools(conversation);
    if (scroll || nearBottom) messages.scrollTop = messages.scrollHeight;
  }

  /** The header actions, notes, interpreter panel and outcome form: none for a
   * conversation that is gone (deleted or expired), there is nothing left to act on. */
  renderTools(conversation) {
    const gone = Boolean(conversation.gone);
    panelAvailable("notes", !gone);
    panelAvailable("outcome", !gone);
    if (!gone) {
      this.dashboard.renderConversationTools(conversation.id);
      this.interpreters.render(conversation);
      this.outcome?.render(conversation.id);
      return;
    }
    for (const id of ["conversation-claim", "conversation-transfer", "conversation-close"]) {
      byId(id).hidden = true;
    }
    panelAvailable("interpreter", false);
    byId("conversation-route").textContent = "";
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

  /**
   * Answering a conversation that waits in the queue takes it first, so two people never
   * answer the same visitor: if a colleague was faster, nothing is sent and the person
   * is told. If the helpline refuses the claim for another reason (not on shift, at
   * capacity), the answer still goes — a visitor waiting is never left unanswered by a
   * rule — and the person is told the conversation stays in the queue.
   */
  async claimBeforeSending(conversation) {
    const state = this.dashboard.state;
    const route = state.route(conversation.id);
    if (route?.state !== "waiting") return { send: true, note: null };
    if (!state.myShifts().length && !state.isCoordinator) {
      // The helpline would refuse the claim: say why without asking it.
      const reason = t("composer.not_on_shift");
      return { send: true, note: t("composer.sent_unclaimed", { reason }) };
    }
    try {
      const answer = await routeClaim(conversation.id);
      if (answer?.route) this.dashboard.state.apply("queue.changed", answer.route);
      this.dashboard.render();
      this.dashboard.renderConversationTools(conversation.id);
      return { send: true, note: null };
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_claimed") {
        const reason = t("queue.taken");
        return { send: false, note: t("composer.claim_first_failed", { reason }) };
      }
      return { send: true, note: t("composer.sent_unclaimed", { reason: error.message }) };
    }
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
    if (this.picker && !this.picker.readyToSend(text)) {
      problem.hidden = true;
      return; // a canned reply's {variable} still to fill in: said under the field
    }
    problem.hidden = true;
    problem.classList.replace("notice-warn", "notice-error");
    const claim = await this.claimBeforeSending(conversation);
    if (!claim.send) {
      problem.textContent = claim.note;
      problem.hidden = false;
      return; // the text stays in the field
    }
    input.value = "";
    this.picker?.reset();
    const key = this.inbox.sending(conversation, text);
    this.renderConversation(conversation, { scroll: true });
    this.renderList();
    try {
      const order = await this.session.sendText(conversation.id, text);
      this.inbox.sent(conversation, key, order);
      if (claim.note) {
        problem.textContent = claim.note;
        problem.classList.replace("notice-error", "notice-warn");
        problem.hidden = false;
      }
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

/** The visitor's quick exit, told end-to-end encrypted (`{kind: "quick_exit"}`). */
function isQuickExit(message) {
  return message.sender === "visitor" && message.event?.kind === "quick_exit";
}
