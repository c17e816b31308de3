// The page: message list, delivery marks, status line, composer, announcements.
// It knows nothing of the protocol; app.js tells it what happened. Every text is set
// with textContent (never HTML), so a message cannot inject markup.

import { t, valuesOf } from "./i18n.js";

export const MAX_CHARACTERS = 8000;
const COUNTER_FROM = 1000; // show "n characters left" from here on
const COUNTER_WARN = 100;
const MARK_RANK = { failed: 0, queued: 1, sending: 2, sent: 3, delivered: 4, read: 5 };

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ChatUi {
  constructor(root = document) {
    this.list = root.getElementById("messages");
    this.scroller = root.getElementById("chat");
    this.status = root.getElementById("status");
    this.problem = root.getElementById("problem");
    this.form = root.getElementById("composer");
    this.textarea = root.getElementById("text");
    this.sendButton = root.getElementById("send");
    this.counter = root.getElementById("counter");
    this.remember = root.getElementById("remember");
    this.language = root.getElementById("language");
    this.announcer = root.getElementById("announcer");
    this.statusKey = "status_loading";
    this.helplineClosed = false; // outside hours: "connected" says "you can still write"
    this.problemKey = null;
    this.labels = new Map(); // sender id → the label their profile event gave
    this.interpreters = new Set(); // sender ids the signed commits name as interpreters
    this.textarea.addEventListener("input", () => this.composerResize());
  }

  // --- composer ---------------------------------------------------------------------

  composerEnable() {
    this.textarea.disabled = false;
    this.sendButton.disabled = false;
    this.remember.disabled = false;
  }

  /** Calls `send(text)` on Enter (not Shift+Enter, not while an input method is
   *  composing a character) and on the Send button. */
  onSend(send) {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.composerSubmit(send);
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
        return;
      }
      event.preventDefault();
      this.composerSubmit(send);
    });
  }

  composerSubmit(send) {
    const text = this.textarea.value;
    if (text.trim() === "" || text.length > MAX_CHARACTERS) return;
    this.textarea.value = "";
    this.composerResize();
    send(text);
    this.textarea.focus();
  }

  composerResize() {
    const area = this.textarea;
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight + 2, 144)}px`;
    this.counterUpdate();
  }

  counterUpdate() {
    const left = MAX_CHARACTERS - this.textarea.value.length;
    this.counter.hidden = left > COUNTER_FROM;
    if (!this.counter.hidden) {
      this.counter.textContent = t("counter", { count: left.toLocaleString(document.documentElement.lang) });
      this.counter.dataset.near = left <= COUNTER_WARN ? "limit" : "";
    }
  }

  // --- messages ---------------------------------------------------------------------

  /** A message the visitor typed, shown at once; `key` identifies it until the server
   *  gives it an order. */
  ownAdd(key, text, mark) {
    const item = element("li", "message from-me");
    item.dataset.key = key;
    item.append(element("p", "who visually-hidden", t("you")));
    item.append(element("p", "text", text));
    const markLine = element("p", "mark");
    item.append(markLine);
    this.list.append(item);
    this.markSet(key, mark);
    this.scrollToEnd(true);
    return item;
  }

  /** A message of the visitor that came back from the server (a resumed conversation). */
  ownRestore(order, text, mark) {
    const item = this.ownAdd(`order-${order}`, text, mark);
    this.orderSet(`order-${order}`, order);
    return item;
  }

  ownItem(key) {
    return this.list.querySelector(`li[data-key="${CSS.escape(key)}"]`);
  }

  orderSet(key, order) {
    const item = this.ownItem(key);
    if (!item) return;
    item.dataset.order = String(order);
    this.place(item);
  }

  /** Moves a message that now has an order after every message with a lower one. */
  place(item) {
    const order = Number(item.dataset.order);
    let before = item.previousElementSibling;
    while (before && before.dataset.order && Number(before.dataset.order) > order) {
      before = before.previousElementSibling;
    }
    if (before !== item.previousElementSibling) {
      if (before) before.after(item);
      else this.list.prepend(item);
    }
  }

  /** Before the server has it, a message goes between queued, sending and failed as
   *  things happen; once it has it, the mark only moves forward (a late "delivered"
   *  never hides a "read"). */
  markSet(key, state) {
    const item = this.ownItem(key);
    if (!item) return false;
    const mark = item.querySelector(".mark");
    const previous = mark.dataset.state;
    const stored = (name) => MARK_RANK[name] >= MARK_RANK.sent;
    if (previous && stored(previous) && MARK_RANK[state] <= MARK_RANK[previous]) return false;
    if (previous === state) return false;
    mark.dataset.state = state;
    mark.textContent = t(`mark_${state}`);
    return true;
  }

  /** A "try again" button under a message that could not be sent. */
  retryOffer(key, retry) {
    const item = this.ownItem(key);
    if (!item || item.querySelector("button.retry")) return;
    const button = element("button", "retry", t("retry"));
    button.type = "button";
    button.dataset.i18n = "retry";
    button.addEventListener("click", () => {
      button.remove();
      retry();
    });
    item.append(button);
  }

  /** Every own message with an order ≤ `order` reaches at least `state`; returns how
   *  many moved. */
  marksUpTo(order, state) {
    let moved = 0;
    for (const item of this.list.querySelectorAll("li.from-me[data-order]")) {
      if (Number(item.dataset.order) <= order && this.markSet(item.dataset.key, state)) moved += 1;
    }
    return moved;
  }

  staffAdd({ order, sender, text, unsupported = false }) {
    const item = element("li", "message from-staff");
    item.dataset.order = String(order);
    item.dataset.sender = sender;
    if (unsupported) item.dataset.unsupported = "";
    const who = element("p", "who", this.labelFor(sender));
    who.dataset.sender = sender;
    item.append(who);
    const body = element("p", "text", unsupported ? t("unsupported_message") : text);
    item.append(body);
    this.list.append(item);
    this.place(item);
    this.scrollToEnd(false);
    this.announce(t("announce_message", { label: this.labelFor(sender), text: body.textContent }));
  }

  /** A line from the page itself (not a message); `afterIntro` puts it right after
   *  the welcome, before the conversation (e.g. "welcome back" above the history). */
  noticeAdd(key, { afterIntro = false, values = null, language = null, id = null } = {}) {
    const item = element("li", "notice");
    item.dataset.i18n = key;
    if (values) item.dataset.i18nValues = JSON.stringify(values);
    if (language !== null) item.dataset.i18nLanguage = language; // named in `{language}`
    item.textContent = t(key, valuesOf(item));
    if (id) item.id = id;
    const intro = this.list.querySelector("#exit-help");
    if (afterIntro && intro) intro.after(item);
    else this.list.append(item);
    this.scrollToEnd(true);
  }

  /** Issue 7, "delete now": everything of the deleted conversation leaves the page;
   *  the welcome and the page's own tips stay. */
  conversationClear() {
    for (const item of [...this.list.children]) {
      if (item.classList.contains("welcome") || item.id === "exit-help") continue;
      if (item.id === "expiry-policy") continue;
      item.remove();
    }
    this.labels.clear();
    this.interpreters.clear();
  }

  /** Who wrote: their profile label (or "the team"); an interpreter's role said first. */
  labelFor(sender) {
    const label = this.labels.get(sender);
    if (!this.interpreters.has(sender)) return label ?? t("team");
    return label ? t("interpreter_named", { label }) : t("interpreter");
  }

  /** A staff member's profile label: shown on their messages, past ones included. */
  labelSet(sender, label) {
    this.labels.set(sender, label);
    this.whoRefresh(sender);
  }

  /** Issue 6: a device the signed commits added as an interpreter. */
  interpreterSet(sender) {
    this.interpreters.add(sender);
    this.whoRefresh(sender);
  }

  whoRefresh(sender) {
    for (const who of this.list.querySelectorAll("p.who[data-sender]")) {
      if (who.dataset.sender === sender) who.textContent = this.labelFor(sender);
    }
  }

  scrollToEnd(always) {
    const box = this.scroller;
    const nearEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    if (always || nearEnd) box.scrollTop = box.scrollHeight;
  }

  // --- status, problems, announcements ------------------------------------------------

  statusSet(state) {
    this.statusKey = `status_${state}`;
    this.status.dataset.state = state;
    this.status.textContent = t(this.statusLineKey());
  }

  /** Connected while the helpline is closed: the line by the composer says that writing
   *  still works, not that the team will answer now. */
  statusLineKey() {
    return this.statusKey === "status_open" && this.helplineClosed
      ? "status.write_anyway"
      : this.statusKey;
  }

  helplineClosedSet(closed) {
    this.helplineClosed = closed;
    this.status.textContent = t(this.statusLineKey());
  }

  problemShow(key) {
    this.problemKey = key;
    this.problem.hidden = !key;
    this.problem.textContent = key ? t(key) : "";
  }

  announce(text) {
    // Emptied first, so the same sentence twice in a row is read twice.
    this.announcer.textContent = "";
    setTimeout(() => {
      this.announcer.textContent = text;
    }, 50);
  }

  /** After a language switch: every string the JS wrote, again. */
  retranslate() {
    this.status.textContent = t(this.statusLineKey());
    if (this.problemKey) this.problem.textContent = t(this.problemKey);
    for (const mark of this.list.querySelectorAll(".mark[data-state]")) {
      mark.textContent = t(`mark_${mark.dataset.state}`);
    }
    for (const who of this.list.querySelectorAll("li.from-me .who")) who.textContent = t("you");
    for (const who of this.list.querySelectorAll("p.who[data-sender]")) {
      who.textContent = this.labelFor(who.dataset.sender);
    }
    for (const notice of this.list.querySelectorAll("li.notice[data-i18n]")) {
      notice.textContent = t(notice.dataset.i18n, valuesOf(notice));
    }
    for (const unsupported of this.list.querySelectorAll("li[data-unsupported] .text")) {
      unsupported.textContent = t("unsupported_message");
    }
    this.counterUpdate();
  }
}
