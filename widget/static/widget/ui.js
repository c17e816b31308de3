// The page: message list, delivery marks, status line, composer, announcements.
// It knows nothing of the protocol; app.js tells it what happened. Every text is set
// with textContent (never HTML), so a message cannot inject markup.
//
// The newest message stays in view whenever the layout changes — a message arrives, the
// footer or its panel changes height, the keyboard opens (the viewport shrinks) —
// unless the visitor scrolled up to read: then a pill says a message came and takes
// them to it. Only the visitor's own scrolling unpins the list; moving it to the end
// pins it again.

import { languageCurrent, t, valuesOf } from "./i18n.js";

export const MAX_CHARACTERS = 8000;
const COUNTER_FROM = 1000; // show "n characters left" from here on
const COUNTER_WARN = 100;
const MARK_RANK = { failed: 0, queued: 1, sending: 2, sent: 3, delivered: 4, read: 5 };
// Within this many pixels of the end, the list counts as showing the newest message.
const PIN_SLACK_PX = 24;

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
    this.problemKey = null;
    this.labels = new Map(); // sender id → {label, role} their profile event gave
    this.interpreters = new Set(); // sender ids the signed commits name as interpreters
    this.textarea.addEventListener("input", () => this.composerResize());
    this.pill = root.getElementById("new-message");
    this.pinned = true;
    this.lastTop = 0;
    this.unseen = 0;
    this.statusLine = { key: "status_loading", values: {} };
    this.pinWire();
  }

  // --- the newest message in view -----------------------------------------------------

  pinWire() {
    this.scroller.addEventListener("scroll", () => this.scrolled(), { passive: true });
    if ("ResizeObserver" in globalThis) {
      // The list grows (a message), the scroller shrinks (footer, panel, keyboard).
      const observer = new ResizeObserver(() => this.layoutChanged());
      observer.observe(this.scroller);
      observer.observe(this.list);
    }
    const viewport = globalThis.visualViewport;
    if (viewport) {
      // A keyboard that covers the page without resizing it (iOS): the page takes the
      // height left, unless the visitor zoomed in.
      const fit = () => {
        const root = document.documentElement;
        if (Math.abs(viewport.scale - 1) < 0.01) {
          root.style.setProperty("--viewport-height", `${Math.round(viewport.height)}px`);
        } else {
          root.style.removeProperty("--viewport-height");
        }
        this.layoutChanged();
      };
      viewport.addEventListener("resize", fit);
      fit();
    }
    this.pill?.addEventListener("click", () => {
      this.pinned = true;
      this.scrollToEnd();
      this.textarea.focus({ preventScroll: true });
    });
  }

  atEnd() {
    const box = this.scroller;
    return box.scrollHeight - box.scrollTop - box.clientHeight <= PIN_SLACK_PX;
  }

  /** At the end: pinned. Moved up and not at the end: the visitor scrolled up to read.
   *  Anything else (the page's own scrolling, the layout changing just after it, the
   *  browser clamping the position) leaves it as it was. */
  scrolled() {
    const top = this.scroller.scrollTop;
    if (this.atEnd()) {
      this.pinned = true;
      this.pillHide();
    } else if (top < this.lastTop) {
      this.pinned = false;
    }
    this.lastTop = top;
  }

  layoutChanged() {
    if (this.pinned) this.scrollToEnd();
  }

  scrollToEnd() {
    const box = this.scroller;
    box.scrollTo({ top: box.scrollHeight, behavior: "instant" });
    this.lastTop = box.scrollTop;
    this.pillHide();
  }

  /** Something new at the end: in view if the list is pinned, else the pill says so. */
  arrived({ mine = false, message = false } = {}) {
    if (mine) this.pinned = true;
    if (this.pinned) {
      this.scrollToEnd();
    } else if (message) {
      this.unseen += 1;
      this.pillShow();
    }
  }

  pillShow() {
    if (!this.pill) return;
    this.pill.hidden = false;
    this.pill.dataset.count = String(this.unseen);
    this.pillText();
  }

  pillText() {
    if (!this.pill || this.pill.hidden) return;
    this.pill.querySelector(".new-message-text").textContent = t("new_message", {
      count: this.unseen,
    });
  }

  pillHide() {
    this.unseen = 0;
    if (this.pill) this.pill.hidden = true;
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
    const who = element("p", "who visually-hidden", t("you"));
    who.dataset.i18n = "you"; // in the page's language again after a switch
    item.append(who);
    item.append(element("p", "text", text));
    const markLine = element("p", "mark");
    item.append(markLine);
    this.list.append(item);
    this.markSet(key, mark);
    this.arrived({ mine: true });
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
    this.arrived({ message: true });
    this.announce(t("announce_message", { label: this.labelFor(sender), text: body.textContent }));
    return item;
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
    this.arrived();
  }

  /** "Delete now": everything of the deleted conversation leaves the page;
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

  /** Who wrote: their role in the visitor's language when their profile names one, else
   *  their label as written (or "the team"); an interpreter's role said first. Labels are
   *  written in French, so a French page shows them as written. */
  labelFor(sender) {
    const profile = this.labels.get(sender);
    let label = profile?.label;
    if (profile?.role && languageCurrent() !== "fr") {
      const role = t(`role.${profile.role}`);
      if (role !== `role.${profile.role}`) label = role;
    }
    if (!this.interpreters.has(sender)) return label ?? t("team");
    return label ? t("interpreter_named", { label }) : t("interpreter");
  }

  /** A staff member's profile: shown on their messages, past ones included. */
  labelSet(sender, label, role = null) {
    this.labels.set(sender, { label, role });
    this.whoRefresh(sender);
  }

  /** A device the signed commits added as an interpreter. */
  interpreterSet(sender) {
    this.interpreters.add(sender);
    this.whoRefresh(sender);
  }

  whoRefresh(sender) {
    for (const who of this.list.querySelectorAll("p.who[data-sender]")) {
      if (who.dataset.sender === sender) who.textContent = this.labelFor(sender);
    }
  }

  // --- status, problems, announcements ------------------------------------------------

  /** The line above the composer: `connection` is the socket's state (data-state),
   *  `line` what status.js says in words ({key, values, tone}). */
  statusShow(connection, line) {
    this.status.dataset.state = connection;
    this.status.dataset.line = line.key;
    this.status.dataset.tone = line.tone ?? "";
    this.statusLine = line;
    const text = t(line.key, line.values ?? {});
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  problemShow(key, values = {}) {
    this.problemKey = key;
    this.problem.hidden = !key;
    this.problem.textContent = key ? t(key, values) : "";
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
    this.status.textContent = t(this.statusLine.key, this.statusLine.values ?? {});
    this.pillText();
    if (this.problemKey) this.problem.textContent = t(this.problemKey);
    for (const mark of this.list.querySelectorAll(".mark[data-state]")) {
      mark.textContent = t(`mark_${mark.dataset.state}`);
    }
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
