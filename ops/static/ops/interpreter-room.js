/**
 * The interpreter's page once their device is certified: on call, the requests
 * offered to them (a language and a deadline, never the conversation), then the one
 * conversation they accepted. They read from the epoch that added their device on; when
 * their part ends (they leave, staff remove them, their time is up: the server closes
 * their socket with 4411) the page forgets every message and shows nothing more.
 * @module
 */

import { ServerRefused } from "../chat/protocol/connection.js";
import { staffSessionFor } from "./device.js";
import { byId, el, replaceChildren, showOnly } from "./elements.js";
import { ApiError, api } from "./http.js";
import { systemLine } from "./interpreter-desk.js";
import { t } from "./strings.js";
import { capitalised, clockText, languageName } from "./time-text.js";

const VIEWS = ["room-lobby", "room-conversation", "room-ended"];
const ENDED_CLOSE_CODE = 4411;
const FOLLOW_RETRY_MS = 1000;

function language(code) {
  return capitalised(languageName(code));
}

export class InterpreterRoom {
  constructor({ record, label, adminFingerprint, onFatal }) {
    this.record = record;
    this.label = label;
    this.adminFingerprint = adminFingerprint;
    this.onFatal = onFatal;
    this.session = null;
    this.offers = new Map(); // request id → {request_id, language, expires_at}
    this.assignment = null;
    this.messages = new Map(); // order → {who, text} or {system}
    this.joined = false;
    this.ended = false;
    this.lastError = null;
  }

  async start() {
    this.session = staffSessionFor({
      record: this.record,
      adminFingerprint: this.adminFingerprint,
      label: this.label,
      onMessage: (message) => this.onMessage(message),
      onCommit: (commit) => this.onCommit(commit),
      onStatus: (status) => this.onStatus(status),
      onStaffEvent: (event) => this.onEvent(event),
      onError: (error) => {
        this.lastError = error;
        console.warn("interpreter session:", error);
      },
    });
    this.bind();
    byId("workspace").hidden = false;
    await this.session.start();
    await this.load();
  }

  stop() {
    this.session?.stop();
  }

  bind() {
    byId("on-call-form").onsubmit = (event) => {
      event.preventDefault();
      this.onCall(Number(byId("on-call-minutes").value) || 0);
    };
    byId("on-call-stop").onclick = () => this.onCall(0);
    byId("room-leave").onclick = () => this.leave();
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
  }

  // -- the lobby: on call and offers --------------------------------------------------------

  async load() {
    this.show(await api("/interpreting"));
  }

  show(view) {
    byId("room-languages").textContent = view.languages.map(language).join(", ");
    byId("on-call-state").textContent = view.on_call_until
      ? t("room.on_call_until", { until: clockText(view.on_call_until) })
      : t("room.off_call");
    this.offers = new Map(view.offers.map((offer) => [offer.request_id, offer]));
    this.renderOffers();
    if (view.assignment && !this.assignment) this.enter(view.assignment);
  }

  async onCall(minutes) {
    try {
      this.show(await api("/interpreting/on-call", { method: "POST", body: { minutes } }));
    } catch (error) {
      this.notice(error.message);
    }
  }

  renderOffers() {
    const items = [...this.offers.values()].map((offer) =>
      el(
        "li",
        { class: "offer", dataset: { request: offer.request_id } },
        el("span", {}, this.offerText(offer)),
        el(
          "button",
          { type: "button", class: "button primary small", onclick: () => this.accept(offer) },
          t("room.accept"),
        ),
      ),
    );
    replaceChildren(byId("offers"), items);
    byId("offers-empty").textContent = items.length ? "" : t("room.no_offers");
  }

  offerText(offer) {
    return t("room.offer", {
      language: language(offer.language),
      until: clockText(offer.expires_at),
    });
  }

  notice(text) {
    const notice = byId("room-notice");
    notice.textContent = text;
    notice.hidden = !text;
  }

  async accept(offer) {
    try {
      const request = await api(`/interpreting/${offer.request_id}/accept`, {
        method: "POST",
        body: { device_id: this.record.deviceId },
      });
      this.enter(request);
    } catch (error) {
      const taken = error instanceof ApiError && error.code === "request_taken";
      this.notice(taken ? t("room.taken") : error.message);
      this.offers.delete(offer.request_id);
      this.renderOffers();
    }
  }

  onEvent({ event, data }) {
    if (event === "interpreter.offered") {
      this.offers.set(data.request_id, data);
      byId("announcer").textContent = t("room.new_offer", { language: language(data.language) });
      this.renderOffers();
    } else if (event === "interpreter.withdrawn") {
      if (this.offers.delete(data.request_id)) {
        this.notice(data.state === "accepted" ? t("room.taken") : t("room.withdrawn"));
        this.renderOffers();
      }
    } else if (event === "interpreter.ended" && data.request_id === this.assignment?.request_id) {
      this.end(data.end_reason);
    }
  }

  // -- the conversation ---------------------------------------------------------------------

  async enter(request) {
    this.assignment = request;
    this.notice("");
    showOnly(VIEWS, "room-conversation");
    byId("room-title").textContent = t("room.title", {
      language: languageName(request.language),
      until: clockText(request.ends_at),
    });
    byId("room-state").textContent = t("room.waiting_key");
    byId("room-title").focus();
    await this.follow(request.conversation_id);
  }

  /** Follow the conversation once the staff browser has made the epoch that adds this
   * device: until then the server refuses (`forbidden`), so try again every second. */
  async follow(conversationId) {
    while (!this.ended) {
      try {
        await this.session.subscribe(conversationId);
        return;
      } catch (error) {
        if (!(error instanceof ServerRefused) || error.code !== "forbidden") {
          this.lastError = error;
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
    }
  }

  onCommit({ order, changes }) {
    for (const change of changes) {
      if (change.deviceId !== this.record.deviceId) continue;
      this.messages.set(`commit-${order}`, { order, system: systemLine(change) });
      this.renderMessages();
      this.joined = change.change === "joined";
      byId("room-state").textContent = this.joined ? t("room.joined") : "";
      byId("composer-text").disabled = !this.joined;
      byId("composer-send").disabled = !this.joined;
      byId("announcer").textContent = systemLine(change);
    }
  }

  onMessage(message) {
    if (this.ended || message.contentType !== "text") return;
    this.messages.set(message.order, message);
    this.renderMessages();
  }

  whoOf(message) {
    if (message.mine) return t("party.you");
    if (message.sender === "visitor") return t("party.visitor");
    return t("party.staff");
  }

  renderMessages() {
    const ordered = [...this.messages.values()].sort((a, b) => a.order - b.order);
    const items = ordered.map((message) => {
      if (message.system) return el("li", { class: "message-system" }, message.system);
      const kind = message.mine ? "own" : message.sender === "visitor" ? "visitor" : "colleague";
      return el(
        "li",
        { class: `message message-${kind}`, dataset: { order: message.order, sender: kind } },
        el("span", { class: "who" }, this.whoOf(message)),
        el("p", { class: "bubble" }, message.text ?? t("message.unreadable")),
      );
    });
    const list = byId("messages");
    replaceChildren(list, items);
    list.scrollTop = list.scrollHeight;
    const last = ordered.at(-1);
    if (last && !last.mine && !last.system) {
      byId("announcer").textContent = t("announce.message", {
        who: this.whoOf(last),
        text: last.text ?? "",
      });
    }
  }

  async send() {
    const input = byId("composer-text");
    const text = input.value.trim();
    if (!text || !this.joined || this.ended) return;
    input.value = "";
    byId("composer-error").hidden = true;
    try {
      const order = await this.session.sendText(this.assignment.conversation_id, text);
      this.messages.set(order, { order, mine: true, sender: this.record.deviceId, text });
      this.renderMessages();
    } catch (error) {
      if (this.ended) return;
      input.value = text;
      byId("composer-error").textContent = t("composer.failed");
      byId("composer-error").hidden = false;
    }
  }

  async leave() {
    if (!this.assignment || !window.confirm(t("room.leave_confirm"))) return;
    try {
      await api(`/interpreting/${this.assignment.request_id}/leave`, { method: "POST", body: {} });
      this.end("left");
    } catch (error) {
      byId("composer-error").textContent = error.message;
      byId("composer-error").hidden = false;
    }
  }

  /** Their part is over: forget what was decrypted, stop the socket, say so. */
  end(reason) {
    if (this.ended) return;
    this.ended = true;
    this.messages.clear();
    replaceChildren(byId("messages"));
    this.session.stop();
    const known = ["left", "removed", "time_limit"].includes(reason);
    byId("room-ended-reason").textContent =
      (known ? t(`room.ended_${reason}`) + " " : "") + t("room.ended");
    showOnly(VIEWS, "room-ended");
    byId("room-ended-title").focus();
  }

  onStatus(status) {
    const line = byId("connection-status");
    line.dataset.status = status;
    line.textContent = t(`status.${status}`);
    if (status !== "closed" || this.ended) return;
    if (this.lastError?.closeCode === ENDED_CLOSE_CODE || this.assignment) {
      this.end(this.assignment?.end_reason ?? "");
      return;
    }
    this.onFatal(this.lastError ?? new Error(t("status.closed")));
  }
}
