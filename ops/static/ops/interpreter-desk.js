/**
 * Interpreters seen from the staff workspace: ask for one in the open
 * conversation, cancel while nobody has accepted, remove one who joined; and the epochs
 * that go with it. When a request is accepted, the staff browser that has the
 * conversation makes a signed `member_add` epoch wrapped to the team key, the visitor
 * and the interpreter's certified device; when the interpreter is gone (left, removed,
 * time limit), a `member_remove` epoch without them. Whether an epoch is due is read
 * from the signed commits this device holds, not from the server's word: the next staff
 * browser to open a conversation whose interpreter left makes it.
 * @module
 */

import { interpretersOf } from "../chat/protocol/members.js";
import { panelAvailable } from "./conversation-panels.js";
import { api } from "./http.js";
import { byId, el, replaceChildren } from "./elements.js";
import { t } from "./strings.js";
import { capitalised, clockText, languageName } from "./time-text.js";

/** Languages always offered in the picker, beside those of interpreters on call. */
const COMMON_LANGUAGES = ["fr", "en", "bg", "ro", "ru", "es", "pt", "zh", "ar"];

function language(code) {
  return capitalised(languageName(code));
}

export class InterpreterDesk {
  /** @param {object} options.workspace the staff workspace (workspace.js) */
  constructor({ workspace }) {
    this.workspace = workspace;
    this.requests = new Map(); // conversation id → its newest request
    this.languagesOnCall = [];
    this.loaded = false;
    this.making = new Set(); // conversations whose epoch this page is making
    this.again = new Set(); // conversations to check again once that is done
    this.problems = new Map(); // conversation id → what went wrong there
  }

  /** Live requests and those whose epoch without the interpreter is still due. */
  async load() {
    const data = await api("/interpreting");
    this.requests = new Map(data.requests.map((request) => [request.conversation_id, request]));
    this.languagesOnCall = data.languages_on_call;
    this.loaded = true;
    for (const conversationId of this.workspace.session.conversations.keys()) {
      this.reconcile(conversationId);
    }
    this.renderSelected();
  }

  /** `interpreter.changed` (ops/README.md, "Interpreters"). */
  onChanged(request) {
    this.requests.set(request.conversation_id, request);
    if (this.workspace.selected?.id === request.conversation_id) {
      this.workspace.announceText(this.stateText(request));
    }
    this.reconcile(request.conversation_id);
    this.renderSelected();
  }

  /** A commit was applied (or made here): show who joined or left, then check the
   * epoch is the one the requests call for. */
  onCommit({ conversationId, order, changes }) {
    const conversation = this.workspace.inbox.conversations.get(conversationId);
    if (conversation !== undefined) {
      conversation.interpreters ??= new Set();
      for (const change of changes) {
        if (change.change === "joined") conversation.interpreters.add(change.deviceId);
        const text = systemLine(change);
        conversation.messages.set(`commit-${order}-${change.deviceId}`, {
          order,
          contentType: "system",
          mine: false,
          text,
        });
        if (this.workspace.selected === conversation) this.workspace.announceText(text);
      }
      if (changes.length) this.workspace.renderSoon(conversation);
    }
    this.reconcile(conversationId);
  }

  /** Whether this page makes the epochs of a conversation: open here, or in my hands. */
  mayMakeEpochs(conversationId) {
    if (this.workspace.selected?.id === conversationId) return true;
    const route = this.workspace.dashboard.state.route(conversationId);
    return route?.state === "assigned" && route.assigned_to === this.workspace.dashboard.state.me;
  }

  /** The interpreters the current epoch should have: the accepted request's device. */
  wanted(conversationId) {
    const request = this.requests.get(conversationId);
    if (request?.state !== "accepted" || !request.device_id) return [];
    return [{ deviceId: request.device_id, label: request.label }];
  }

  /** Make the epoch the requests call for, if the current one is not it. Asked again
   * while making one, it checks again once that one is done. */
  async reconcile(conversationId) {
    const session = this.workspace.session;
    if (!this.loaded || !this.mayMakeEpochs(conversationId)) return;
    if (!session.conversations.has(conversationId)) return;
    if (this.making.has(conversationId)) {
      this.again.add(conversationId);
      return;
    }
    const wanted = this.wanted(conversationId);
    // Nothing read yet and nobody to add: the commits, once applied, ask again.
    if (session.commitCurrent(conversationId) === null && !wanted.length) return;
    this.making.add(conversationId);
    try {
      await session.epochReady(conversationId, { timeoutMs: 30000 });
      const present = interpretersOf(session.commitCurrent(conversationId)).map((m) => m.deviceId);
      const same =
        wanted.length === present.length && wanted.every((m) => present.includes(m.deviceId));
      if (same) return;
      const reason = wanted.length ? "member_add" : "member_remove";
      await session.epochMake(conversationId, { reason, interpreters: wanted });
      this.problems.delete(conversationId);
    } catch (error) {
      this.problems.set(conversationId, t("interpreter.epoch_failed", { reason: error.message }));
      this.workspace.onError(error, { conversationId });
    } finally {
      this.making.delete(conversationId);
      this.renderSelected();
    }
    if (this.again.delete(conversationId)) await this.reconcile(conversationId);
  }

  // -- actions ----------------------------------------------------------------------------

  async act(conversationId, path, body = {}) {
    try {
      const request = await api(path, { method: "POST", body });
      this.problems.delete(conversationId);
      this.onChanged(request);
    } catch (error) {
      this.problems.set(conversationId, error.message);
      this.renderSelected();
    }
  }

  ask(conversationId) {
    const chosen = byId("interpreter-language").value;
    return this.act(conversationId, `/routes/${conversationId}/interpreter`, { language: chosen });
  }

  // -- rendering --------------------------------------------------------------------------

  renderSelected() {
    const conversation = this.workspace.selected;
    if (conversation !== null) this.render(conversation);
  }

  /** What a request's state means, in words. */
  stateText(request) {
    const values = { language: languageName(request.language) };
    switch (request.state) {
      case "pending":
        return t("interpreter.pending", { ...values, until: clockText(request.expires_at) });
      case "accepted":
        return t("interpreter.accepted", { ...values, until: clockText(request.ends_at) });
      case "expired":
        return t("interpreter.expired", values);
      case "cancelled":
        return t("interpreter.cancelled", values);
      default:
        return t(`interpreter.ended_${request.end_reason || "left"}`, values);
    }
  }

  /** The interpreter panel of the open conversation. */
  render(conversation) {
    const panel = byId("interpreter-panel");
    const request = this.requests.get(conversation.id) ?? null;
    const route = this.workspace.dashboard.state.route(conversation.id);
    const state = this.workspace.dashboard.state;
    const mayAct =
      (route?.state === "assigned" && route.assigned_to === state.me) || state.isCoordinator;
    const children = [];
    if (request !== null) {
      children.push(el("p", { class: "interpreter-state" }, this.stateText(request)));
    }
    if (this.making.has(conversation.id)) {
      children.push(el("p", { class: "hint" }, t("interpreter.making_epoch")));
    }
    if (mayAct && conversation.state !== "closed") {
      children.push(this.controls(conversation, request));
    }
    const problem = this.problems.get(conversation.id);
    if (problem) {
      children.push(el("p", { class: "notice notice-error", role: "alert" }, problem));
    }
    // Redrawn with every message: keep the language being chosen and the focus.
    const same = panel.dataset.conversation === conversation.id;
    const chosen = same ? panel.querySelector("#interpreter-language")?.value : undefined;
    const focused = panel.contains(document.activeElement) ? document.activeElement.id : "";
    replaceChildren(panel, children);
    panel.dataset.conversation = conversation.id;
    panelAvailable("interpreter", children.length > 0);
    // The panel may be closed: its button says where a request stands.
    const live = request !== null && ["pending", "accepted"].includes(request.state);
    byId("interpreter-badge").textContent = live ? t(`interpreter.badge_${request.state}`) : "";
    const select = panel.querySelector("#interpreter-language");
    if (select && chosen) select.value = chosen;
    if (focused) document.getElementById(focused)?.focus();
  }

  controls(conversation, request) {
    const path = (action) => `/interpreting/${request.request_id}/${action}`;
    if (request?.state === "pending") {
      return this.button(conversation, t("interpreter.cancel"), path("cancel"));
    }
    if (request?.state === "accepted") {
      return this.button(conversation, t("interpreter.remove"), path("remove"));
    }
    const own = (conversation.language || "fr").split("-")[0].toLowerCase();
    const codes = [...new Set([own, ...this.languagesOnCall, ...COMMON_LANGUAGES])];
    const onCall = this.languagesOnCall.length
      ? t("interpreter.on_call", { languages: this.languagesOnCall.map(language).join(", ") })
      : t("interpreter.none_on_call");
    return el(
      "form",
      {
        class: "interpreter-ask",
        onsubmit: (event) => {
          event.preventDefault();
          this.ask(conversation.id);
        },
      },
      el("label", { for: "interpreter-language" }, t("interpreter.language")),
      el(
        "select",
        { id: "interpreter-language" },
        codes.map((code) => el("option", { value: code, selected: code === own }, language(code))),
      ),
      el(
        "button",
        { type: "submit", class: "button small", id: "interpreter-ask" },
        t("interpreter.ask"),
      ),
      el("span", { class: "hint" }, onCall),
    );
  }

  button(conversation, text, path) {
    const act = () => this.act(conversation.id, path);
    return el(
      "button",
      { type: "button", class: "button small", id: "interpreter-action", onclick: act },
      text,
    );
  }
}

/** "An interpreter (Bulgarian) joined / left", from a signed commit's change. */
export function systemLine(change) {
  const values = { language: languageName(change.language || "?") };
  return t(change.change === "joined" ? "interpreter.joined" : "interpreter.left", values);
}
