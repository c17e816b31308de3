/**
 * The canned-reply picker of the conversation view. Typing "/" at the start of a word in
 * the message field opens it: the library (GET /staff/api/canned, public templates) is
 * searched in this browser by shortcut, title or tag in any language. Each result shows
 * the text in the conversation's language with the French beside it; picking one puts
 * the conversation-language text, variables filled in here, where the "/word" was —
 * several can be combined in one message before it is sent (and encrypted like any
 * other). A reply without a text in the conversation's language says so and inserts
 * nothing, unless staff choose to insert the French on purpose.
 *
 * Keyboard: ↓/↑ move, Enter or Tab picks, Escape closes. The field points at the results
 * (aria-controls, aria-activedescendant; a textarea may not carry aria-expanded), which
 * are a listbox. Picking closes
 * the list; the keys are the list's only while a "/word" is still before the caret, so
 * Enter never inserts a reply twice. A variable with no value is said right under the
 * message field, by name, with a link to where a coordinator sets it.
 * @module
 */

import { panelAvailable, panelOpen } from "./conversation-panels.js";
import { byId, el, replaceChildren } from "./elements.js";
import { api } from "./http.js";
import { t } from "./strings.js";
import { fill, libraryLanguage, search, searchable, unfilled, valuesFor } from "./canned-text.js";
import { capitalised, helplineTimeZone, languageName } from "./time-text.js";

const LIBRARY_FRESH_MS = 60_000;
const SHOWN_AT_MOST = 8;
// "/word" right before the caret, at the start of the field or after white space.
const TRIGGER = /(^|\s)\/([^\s/]*)$/u;
// Where the values of the variables are set (the canned replies page, coordinators).
const VARIABLES_PAGE = "/staff/canned/";

export class CannedPicker {
  /**
   * `input`: the message field. `conversation()`: the open conversation (`{language}`).
   * `nextOpening()`: seconds of the helpline's next opening, or null.
   */
  constructor({ input, conversation, nextOpening }) {
    this.input = input;
    this.conversation = conversation;
    this.nextOpening = nextOpening;
    this.library = null;
    this.loadedAt = 0;
    this.loading = null;
    this.results = [];
    this.active = 0;
    this.trigger = null; // {start, end} of the "/word" in the field
    this.used = []; // the replies put in the current draft: their French is shown beside
    this.panel = byId("canned-picker");
    this.list = byId("canned-results");
    this.notice = byId("canned-notice");
    this.missing = byId("canned-missing");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "canned-results");
    input.addEventListener("input", () => this.onInput());
    input.addEventListener("blur", () => setTimeout(() => this.blurClose(), 150));
  }

  /** The library, fetched again when older than a minute (the coordinator may edit it). */
  async libraryLoad() {
    if (this.library && Date.now() - this.loadedAt < LIBRARY_FRESH_MS) return this.library;
    this.loading ??= api("/canned")
      .then((library) => {
        this.library = library;
        this.loadedAt = Date.now();
        this.entries = library.replies.map((reply) =>
          searchable(
            reply,
            reply.shortcut,
            [reply.title, ...Object.values(reply.texts).map((text) => text.title)],
            reply.tags,
          ),
        );
        return library;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  language() {
    return libraryLanguage(this.conversation()?.language, this.library?.languages) || "fr";
  }

  reference() {
    return this.library?.reference_language ?? "fr";
  }

  /** The variable values for the conversation's language, `next_opening` included. */
  values(language) {
    const values = valuesFor(language, this.library?.variables?.values ?? []);
    const seconds = this.nextOpening();
    if (seconds) values.next_opening = openingText(seconds, language);
    return values;
  }

  isOpen() {
    return !this.panel.hidden;
  }

  /** The "/word" right before the caret, or null. */
  triggerMatch() {
    const caret = this.input.selectionStart ?? this.input.value.length;
    return TRIGGER.exec(this.input.value.slice(0, caret));
  }

  async onInput() {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const match = this.triggerMatch();
    this.missingRecheck();
    if (!match) {
      this.close();
      this.usedPrune();
      return;
    }
    this.trigger = { start: caret - match[2].length - 1, end: caret };
    try {
      await this.libraryLoad();
    } catch (error) {
      this.open();
      this.noticeShow(error.message);
      return;
    }
    this.results = search(this.entries, match[2]).slice(0, SHOWN_AT_MOST);
    this.active = 0;
    this.open();
    this.render();
  }

  open() {
    this.panel.hidden = false;
  }

  close() {
    this.panel.hidden = true;
    this.trigger = null;
    this.input.removeAttribute("aria-activedescendant");
  }

  blurClose() {
    if (document.activeElement !== this.input && !this.panel.contains(document.activeElement)) {
      this.close();
    }
  }

  /** Handles the keys the picker owns while open; true when it did. */
  keydown(event) {
    if (!this.isOpen() || event.isComposing) return false;
    if (this.trigger === null || this.triggerMatch() === null) {
      // Nothing left to complete (a reply was just put in, or the "/word" is gone): the
      // keys are the message field's again.
      if (event.key === "Escape") {
        this.close();
        return true;
      }
      this.close();
      return false;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.results.length) return true;
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.results.length) % this.results.length;
      this.render();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      if (!this.results.length) return event.key === "Enter"; // never send "/xyz" by mistake
      this.pick(this.results[this.active]);
      return true;
    }
    if (event.key === "Escape") {
      this.close();
      return true;
    }
    return false;
  }

  render() {
    const language = this.language();
    const reference = this.reference();
    this.notice.hidden = true;
    if (!this.results.length) {
      replaceChildren(this.list, el("li", { class: "canned-empty muted" }, t("canned.none")));
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    replaceChildren(
      this.list,
      this.results.map((reply, index) => this.option(reply, index, language, reference)),
    );
    const id = `canned-option-${this.active}`;
    this.input.setAttribute("aria-activedescendant", id);
    byId(id).scrollIntoView?.({ block: "nearest" });
  }

  option(reply, index, language, reference) {
    const values = this.values(language);
    const own = reply.texts[language];
    const columns = [
      own
        ? this.column(language, fill(own.body, values).text)
        : el("div", { class: "canned-col canned-missing" },
            el("span", { class: "canned-lang" }, capitalised(languageName(language))),
            el("p", {}, t("canned.missing", { language: languageName(language) }))),
    ];
    if (language !== reference && reply.texts[reference]) {
      columns.push(this.column(reference, fill(reply.texts[reference].body, this.values(reference)).text));
    }
    return el(
      "li",
      {
        id: `canned-option-${index}`,
        role: "option",
        class: "canned-option",
        "aria-selected": index === this.active ? "true" : "false",
        dataset: { shortcut: reply.shortcut },
        onmousedown: (event) => event.preventDefault(), // keep the focus in the field
        onclick: () => this.pick(reply),
      },
      el("p", { class: "canned-head" },
        el("strong", {}, "/" + reply.shortcut), " ", reply.title,
        reply.reviewed ? null : el("span", { class: "badge badge-warn" }, t("canned.unreviewed"))),
      el("div", { class: "canned-cols" }, columns),
    );
  }

  column(language, text) {
    return el(
      "div",
      { class: "canned-col", dataset: { language } },
      el("span", { class: "canned-lang" }, capitalised(languageName(language))),
      el("p", { lang: language, class: "canned-body" }, text),
    );
  }

  /** Puts the reply's text in the conversation's language where the "/word" is. */
  pick(reply, { language = this.language() } = {}) {
    const text = reply.texts[language];
    if (!text) {
      this.missingSay(reply, language);
      return;
    }
    const filled = fill(text.body, this.values(language));
    this.insert(filled.text);
    this.used.push({ reply, language });
    this.notice.hidden = true;
    this.close();
    this.besideRender();
    if (language !== this.reference() && reply.texts[this.reference()]) panelOpen("beside");
    this.missingShow(unfilled(this.input.value));
  }

  insert(text) {
    const { start, end } = this.trigger ?? { start: this.input.selectionStart, end: this.input.selectionEnd };
    const before = this.input.value.slice(0, start);
    const after = this.input.value.slice(end);
    const joined = before + text + after;
    this.input.value = joined;
    const caret = before.length + text.length;
    this.input.setSelectionRange(caret, caret);
    this.input.focus();
  }

  /** Said, never replaced: the French goes in only if staff choose it. */
  missingSay(reply, language) {
    const reference = this.reference();
    const message = t("canned.missing_picked", {
      shortcut: "/" + reply.shortcut,
      language: languageName(language),
    });
    const children = [el("span", {}, message)];
    if (reply.texts[reference] && reference !== language) {
      children.push(
        " ",
        el(
          "button",
          {
            type: "button",
            class: "button small",
            id: "canned-insert-reference",
            onclick: () => this.pick(reply, { language: reference }),
          },
          t("canned.insert_reference", { language: languageName(reference) }),
        ),
      );
    }
    replaceChildren(this.notice, children);
    this.notice.hidden = false;
    this.open();
  }

  noticeShow(text) {
    replaceChildren(this.notice, text);
    this.notice.hidden = false;
    this.notice.closest("#canned-picker").hidden = false;
  }

  /**
   * Under the message field: the variables the draft still holds, by name, each with
   * where its value is set — a link a coordinator follows to set it (the canned replies
   * page opens on that variable), and for everyone else who sets it. Empty: hidden.
   */
  missingShow(names) {
    if (!names.length) {
      this.missing.hidden = true;
      replaceChildren(this.missing);
      return;
    }
    const coordinator = Boolean(this.library?.can_edit);
    const language = languageName(this.language());
    const links = names.map((name) =>
      el(
        "a",
        {
          href: `${VARIABLES_PAGE}?variable=${encodeURIComponent(name)}#variables`,
          // A new tab: the conversation, its messages (only in this page's memory) and
          // the draft stay here.
          target: "_blank",
          rel: "noopener",
          class: "canned-missing-link",
          dataset: { variable: name },
          onclick: () => {
            this.loadedAt = 0; // the value may be set there: fetch the library again
          },
        },
        t(coordinator ? "canned.variable_set" : "canned.variable_where", { name: `{${name}}` }),
      ),
    );
    replaceChildren(
      this.missing,
      el(
        "span",
        {},
        t("canned.variable_missing", { names: names.map((n) => `{${n}}`).join(", "), language }),
      ),
      " ",
      coordinator ? null : el("span", {}, t("canned.variable_ask"), " "),
      links.flatMap((link, index) => (index ? [" · ", link] : [link])),
    );
    this.missing.hidden = false;
  }

  /** The person filled a variable in by hand: the line goes once nothing is left. */
  missingRecheck() {
    if (!this.missing.hidden) this.missingShow(unfilled(this.input.value));
  }

  /** Beside the draft: what each reply in it says in French, for staff who read French. */
  besideRender() {
    const reference = this.reference();
    const items = this.used
      .filter((use) => use.language !== reference && use.reply.texts[reference])
      .map((use) =>
        el(
          "li",
          { dataset: { shortcut: use.reply.shortcut } },
          el("strong", {}, `/${use.reply.shortcut} · ${capitalised(languageName(use.language))}`),
          el("p", { lang: reference }, fill(use.reply.texts[reference].body, this.values(reference)).text),
        ),
      );
    replaceChildren(byId("canned-beside-list"), items);
    byId("canned-beside-count").textContent = items.length ? String(items.length) : "";
    panelAvailable("beside", items.length > 0);
  }

  /** The draft was emptied (sent, or erased): nothing is beside it any more. */
  usedPrune() {
    if (!this.input.value.trim() && this.used.length) this.reset();
  }

  reset() {
    this.used = [];
    this.besideRender();
    this.notice.hidden = true;
    this.missingShow([]);
    this.close();
  }

  /** Before sending: a variable still written (`{phone}`) stops it; the line under the
   * field says which and where it is set. True when the text may go. */
  readyToSend(text) {
    const names = unfilled(text);
    this.missingShow(names);
    return names.length === 0;
  }
}

/** The next opening as a visitor reads it: their language, the helpline's clock. */
function openingText(seconds, language) {
  const options = { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
  const when = new Date(seconds * 1000);
  try {
    return new Intl.DateTimeFormat(language, { ...options, timeZone: helplineTimeZone() }).format(when);
  } catch {
    return new Intl.DateTimeFormat(language, options).format(when);
  }
}
