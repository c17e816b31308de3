/**
 * The shift dashboard around the conversation view: the shift and my presence, the
 * queue, my conversations, the colleagues on shift, the end-of-shift reminder, transfer
 * and notes, alerts and keyboard shortcuts.
 *
 * State is in shift-state.js (loaded once from GET /staff/api/dashboard, then changed
 * only by `staff.event` frames); HTTP calls are in shift-api.js; the conversation view
 * and the StaffSession are the workspace's (workspace.js). Nothing here polls: the one
 * timer redraws waiting times and the shift's remaining time from the state.
 * @module
 */

import { panelOpen } from "./conversation-panels.js";
import { ApiError } from "./http.js";
import { byId, el, replaceChildren } from "./elements.js";
import { Notifier } from "./notify.js";
import {
  dashboardGet,
  noteAdd,
  notesGet,
  presenceSet,
  routeClaim,
  routeClose,
  routeTransfer,
} from "./shift-api.js";
import { PRESENCES, ShiftState } from "./shift-state.js";
import { focusStep, shortcutsBind } from "./shortcuts.js";
import { t } from "./strings.js";
import { capitalised, clockText, dayTimeText, durationText, languageName } from "./time-text.js";

const TICK_MS = 15000;
const REMINDER_NOTE_MINUTES = 30; // the banner stays until the shift ends, from the reminder on
const NOTE_MAX_BYTES = 4000;
const utf8 = new TextEncoder();

function shortId(id) {
  return id.slice(0, 4) + "·" + id.slice(4, 8);
}

/** `{load, capacity}` of a member, for the strings that show them. */
function loadOf(member) {
  return { load: member.load ?? 0, capacity: member.capacity ?? 0 };
}

function reasonOf(error) {
  return error?.message || t("error.generic");
}

export class Dashboard {
  /**
   * @param {object} options
   * @param {number|string} options.owner the signed-in user's id
   * @param {object} options.workspace what the dashboard asks of the conversation view:
   *   `inbox`, `session`, `selected`, `select(id)`, `follow(id)`, `conversationEnsure(route)`,
   *   `renderSelected()`
   */
  constructor({ owner, workspace }) {
    this.workspace = workspace;
    this.state = new ShiftState({ me: Number(owner) });
    this.notifier = new Notifier();
    this.timer = null;
    this.reminderDismissed = null; // ends_at of the reminder the person put away
    this.claiming = new Set();
    this.notesFor = null; // conversation id whose notes are shown
    this.unbindShortcuts = null;
    this.loading = null; // events that came while the state was loading, or null
  }

  // -- life -------------------------------------------------------------------------

  start() {
    this.bind();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.unbindShortcuts?.();
  }

  /**
   * The initial state, and again when events may have been missed (after a
   * reconnection, or when the server says a conversation moved on meanwhile). Events
   * that arrive while it loads are applied after it, in order: they were sent after the
   * request left, so they are as new as the state or newer.
   */
  async load({ quiet = false } = {}) {
    if (this.loading !== null) return false; // one load at a time
    this.loading = [];
    let payload;
    try {
      payload = await dashboardGet();
    } catch (error) {
      this.loading = null;
      this.notice(t("dashboard.unavailable", { reason: reasonOf(error) }));
      return false;
    }
    const reloading = this.state.loaded;
    const queued = this.loading;
    this.loading = null;
    this.state.load(payload);
    for (const route of this.state.routes.values()) this.workspace.conversationEnsure(route);
    for (const { event, data } of queued) this.state.apply(event, data);
    byId("presence").disabled = false;
    this.render();
    if (this.workspace.selected) this.workspace.renderSelected();
    if (reloading && !quiet) this.announce(t("dashboard.reloaded"));
    return true;
  }

  /** Routes the dashboard shows (queue and mine), to follow in the workspace. */
  visibleRoutes() {
    return [...this.state.queue(), ...this.state.mine()];
  }

  // -- events -----------------------------------------------------------------------

  onEvent({ event, data }) {
    if (this.loading !== null) {
      this.loading.push({ event, data });
      return;
    }
    if (!this.state.loaded) return; // the load that follows has it all
    if (event === "team_key.rotation_due" && this.state.isCoordinator) {
      // Only the coordinator's browser can sign the next team key version.
      this.notifier.alert(t("notify.rotation_due"), { onClick: () => location.assign("/staff/setup/") });
    }
    const change = this.state.apply(event, data);
    if (change.route) this.workspace.conversationEnsure(change.route);
    switch (change.kind) {
      case "queued": {
        const language = capitalised(languageName(change.route.language));
        const handedOver = change.route.handed_over;
        this.queueAnnounce(t("queue.new", { language }));
        this.workspace.follow(change.route.conversation_id);
        if (change.wasMine) break;
        // Never anything a visitor wrote: the language (and whether it was handed over).
        this.notifier.alert(t(handedOver ? "notify.handed_over" : "notify.new", { language }), {
          onClick: () => this.workspace.select(change.route.conversation_id),
        });
        break;
      }
      case "assigned": {
        const id = change.route.conversation_id;
        const language = capitalised(languageName(change.route.language));
        if (!this.claiming.has(id)) {
          // Given to me by a colleague or by the helpline (auto-assign).
          this.queueAnnounce(t("notify.assigned", { language }));
          this.notifier.alert(t("notify.assigned", { language }), {
            onClick: () => this.workspace.select(id),
          });
        }
        this.workspace.follow(id);
        break;
      }
      case "taken": {
        const language = capitalised(languageName(change.route.language));
        this.queueAnnounce(t("queue.gone", { language }));
        break;
      }
      case "deleted":
        if (change.reason === "visitor") {
          const language = capitalised(languageName(change.language));
          this.queueAnnounce(t("notify.deleted", { language }));
        }
        this.workspace.onDeleted({ conversationId: change.conversationId, reason: change.reason });
        break;
      case "reminder":
        this.reminderDismissed = null;
        break;
      default:
        break;
    }
    this.render();
    if (change.route && this.workspace.selected?.id === change.route.conversation_id) {
      this.workspace.renderSelected();
    }
  }

  // -- rendering --------------------------------------------------------------------

  render() {
    this.renderShift();
    this.renderPresence();
    this.renderLists();
    this.renderColleagues();
    this.renderReminder();
  }

  tick() {
    if (!this.state.loaded) return;
    this.renderShift();
    this.renderReminder();
    for (const node of document.querySelectorAll("[data-waiting-since]")) {
      node.textContent = t("queue.waiting_for", {
        duration: durationText(this.state.now() - Number(node.dataset.waitingSince)),
      });
    }
    if (this.workspace.selected) this.renderRouteLine(this.workspace.selected.id);
  }

  renderShift() {
    const state = this.state;
    const line = byId("shift-line");
    const remaining = byId("shift-remaining");
    const labelsOf = (instances) => instances.map((instance) => instance.label).join(", ");
    const mine = state.myShifts();
    if (mine.length) {
      line.dataset.open = "mine";
      line.textContent =
        mine.length === 1
          ? t("shift.open", { label: mine[0].label })
          : t("shift.open_many", { labels: labelsOf(mine) });
      const end = state.shiftEndsAt;
      remaining.textContent = end
        ? t("shift.ends", { time: clockText(end), duration: durationText(end - state.now()) })
        : "";
      return;
    }
    const staffed = state.open.filter((instance) => (instance.staff ?? []).length);
    if (staffed.length) {
      line.dataset.open = "others";
      line.textContent = t("shift.not_mine", { labels: labelsOf(staffed) });
    } else if (state.open.length) {
      line.dataset.open = "unstaffed";
      line.textContent = t("shift.unstaffed", { labels: labelsOf(state.open) });
    } else {
      line.dataset.open = "closed";
      line.textContent = t("shift.closed");
    }
    remaining.textContent = staffed.length
      ? ""
      : state.nextOpening
        ? t("shift.next_opening", { when: dayTimeText(state.nextOpening) })
        : t("shift.next_none");
  }

  renderPresence() {
    const chosen = this.state.presenceChosen;
    for (const input of document.querySelectorAll("#presence input[name=presence]")) {
      input.checked = input.value === chosen;
    }
    byId("presence").dataset.presence = chosen;
  }

  /** Staff on shift take from the queue; a coordinator at any time; the others read it. */
  mayClaim() {
    return this.state.myShifts().length > 0 || this.state.isCoordinator;
  }

  renderLists() {
    const queue = this.state.queue();
    const mine = this.state.mine();
    byId("queue-read-only").hidden = !this.state.loaded || this.mayClaim() || queue.length === 0;
    // The lists are drawn again whole: whoever moves in them with the keyboard keeps
    // their place (the same conversation's button, or its neighbour if it left).
    const focused = this.listFocus();
    replaceChildren(byId("queue-list"), queue.map((route) => this.queueItem(route)));
    replaceChildren(byId("conversation-list"), mine.map((route) => this.mineItem(route)));
    if (focused) this.listFocusRestore(focused);
    byId("queue-empty").hidden = queue.length > 0;
    byId("conversation-list-empty").hidden = mine.length > 0;
    byId("queue-count").textContent = String(queue.length);
    byId("mine-count").textContent = String(mine.length);
  }

  /** Where the keyboard focus is in the lists, if it is: list, conversation, button. */
  listFocus() {
    const active = document.activeElement;
    const list = active?.closest?.("#queue-list, #conversation-list");
    if (!list) return null;
    const item = active.closest("li[data-conversation-id]");
    return {
      list: list.id,
      conversationId: item?.dataset.conversationId,
      claim: active.classList.contains("claim"),
      index: [...list.children].indexOf(item),
    };
  }

  listFocusRestore({ list, conversationId, claim, index }) {
    const box = byId(list);
    const item =
      [...box.children].find((li) => li.dataset.conversationId === conversationId) ??
      box.children[Math.min(index, box.children.length - 1)] ??
      null;
    const target = item?.querySelector(claim ? ".claim:not([disabled])" : ".conversation-item") ??
      item?.querySelector(".conversation-item");
    (target ?? byId(list === "queue-list" ? "queue-title" : "conversations-title")).focus({
      preventScroll: true,
    });
  }

  /** The button that opens a conversation: language, tags, time, preview, unread. */
  conversationButton(route, { when }) {
    const inbox = this.workspace.inbox;
    const conversation = inbox.conversations.get(route.conversation_id) ?? null;
    const waiting = conversation ? conversation.waitingState() : "new";
    const selected = this.workspace.selected?.id === route.conversation_id;
    const language = capitalised(languageName(route.language));
    const tags = [];
    if (route.skill) tags.push(el("span", { class: "tag tag-skill" }, t(`skill.${route.skill}`)));
    if (route.handed_over) {
      tags.push(
        el(
          "span",
          { class: "tag tag-handed", title: t("queue.handed_over_title") },
          t("queue.handed_over"),
        ),
      );
    }
    const last = conversation?.texts().at(-1);
    return el(
      "button",
      {
        type: "button",
        class: "conversation-item",
        "aria-current": selected ? "true" : "false",
        dataset: { conversationId: route.conversation_id, waiting, language: route.language },
        onclick: () => this.workspace.select(route.conversation_id),
      },
      el("span", { class: "title" }, language, ...tags),
      this.unreadBadge(route, conversation),
      el(
        "span",
        { class: "sub" },
        when,
        el(
          "span",
          { class: "meta" },
          last?.text ? this.workspace.preview(last) : `#${shortId(route.conversation_id)}`,
        ),
      ),
    );
  }

  unreadBadge(route, conversation) {
    const inbox = this.workspace.inbox;
    const count = conversation && conversation.subscribed ? inbox.unread(conversation) : 0;
    if (count) {
      return el(
        "span",
        { class: "unread" },
        el("span", { "aria-hidden": "true" }, String(count)),
        el("span", { class: "visually-hidden" }, t("list.unread", { n: count })),
      );
    }
    // Not decrypted yet: what the server knows (the visitor's last order, how far I read).
    const read = Math.max(
      this.state.readOrders.get(route.conversation_id) ?? 0,
      inbox.readOrders[route.conversation_id] ?? 0,
    );
    if (!conversation?.subscribed && route.visitor_last_order > read) {
      return el(
        "span",
        { class: "unread unread-dot", title: t("mine.unread_new") },
        el("span", { class: "visually-hidden" }, t("mine.unread_new")),
      );
    }
    return el("span");
  }

  queueItem(route) {
    const since = route.waiting_since ?? this.state.now();
    const when = el(
      "span",
      { class: "when", dataset: { waitingSince: String(since) } },
      t("queue.waiting_for", { duration: durationText(this.state.now() - since) }),
    );
    const language = languageName(route.language);
    const claim = el(
      "button",
      {
        type: "button",
        class: "button primary small claim",
        "aria-label": t("queue.claim_label", { language }),
        dataset: { conversationId: route.conversation_id },
        disabled: this.claiming.has(route.conversation_id) || !this.mayClaim(),
        "aria-describedby": this.mayClaim() ? null : "queue-read-only",
        onclick: () => this.claim(route.conversation_id),
      },
      t("queue.claim"),
    );
    return el(
      "li",
      { class: "queue-entry", dataset: { conversationId: route.conversation_id } },
      this.conversationButton(route, { when }),
      claim,
    );
  }

  mineItem(route) {
    const conversation = this.workspace.inbox.conversations.get(route.conversation_id);
    const last = conversation ? clockText(conversation.lastActivityAt) : "";
    const when = el("span", { class: "when" }, last);
    return el(
      "li",
      { dataset: { conversationId: route.conversation_id } },
      this.conversationButton(route, { when }),
    );
  }

  renderColleagues() {
    const colleagues = this.state.colleagues();
    const items = colleagues.map((member) => {
      const presence = PRESENCES.includes(member.presence) ? member.presence : "away";
      const load = loadOf(member);
      return el(
        "li",
        { class: "colleague", dataset: { userId: String(member.user_id), presence } },
        el("span", { class: "presence-dot", "aria-hidden": "true" }),
        el(
          "span",
          { class: "colleague-who" },
          el("span", { class: "colleague-name" }, member.name ?? member.label),
          el(
            "span",
            { class: "colleague-label" },
            member.label && member.label !== member.name ? member.label : "",
          ),
        ),
        el("span", { class: "colleague-presence" }, t(`presence.${presence}`)),
        el(
          "span",
          {
            class: "colleague-load",
            title: t("colleague.load_label", load),
          },
          el("span", { "aria-hidden": "true" }, t("colleague.load", load)),
          el("span", { class: "visually-hidden" }, t("colleague.load_label", load)),
        ),
      );
    });
    replaceChildren(byId("colleague-list"), items);
    byId("colleague-empty").hidden = items.length > 0;
  }

  renderReminder() {
    const banner = byId("reminder");
    const reminder = this.state.reminder;
    const end = reminder?.ends_at ?? null;
    const minutesLeft = end === null ? 0 : Math.ceil((end - this.state.now()) / 60);
    const show =
      reminder !== null &&
      minutesLeft > 0 &&
      minutesLeft <= REMINDER_NOTE_MINUTES &&
      this.reminderDismissed !== end;
    banner.hidden = !show;
    if (!show) return;
    const open = this.state.mine().length;
    byId("reminder-text").textContent = open
      ? t("reminder.text", { minutes: minutesLeft, n: open })
      : t("reminder.text_none", { minutes: minutesLeft });
    byId("reminder-notes").hidden = open === 0;
  }

  /** The line under the conversation's title: where it is in routing. */
  renderRouteLine(conversationId) {
    const route = this.state.route(conversationId);
    const line = byId("conversation-route");
    const me = this.state.me;
    let text;
    if (route === null) text = this.state.loaded ? t("route.closed") : "";
    else if (route.state === "waiting") {
      const duration = durationText(this.state.now() - (route.waiting_since ?? this.state.now()));
      text = t(route.handed_over ? "route.waiting_handed_over" : "route.waiting", { duration });
    } else if (route.state === "assigned" && route.assigned_to === me) {
      text = t("route.mine", { when: clockText(route.assigned_at ?? this.state.now()) });
    } else if (route.state === "assigned") {
      const member = this.state.members.get(route.assigned_to);
      text = t("route.colleague", { name: member?.name ?? t("party.colleague") });
    } else text = t("route.closed");
    line.textContent = text;
    line.dataset.state = route?.state ?? "closed";
  }

  /** Header actions and notes of the open conversation, from its route. */
  renderConversationTools(conversationId) {
    const route = this.state.route(conversationId);
    const mine = route?.state === "assigned" && route.assigned_to === this.state.me;
    const mayAct = mine || (this.state.isCoordinator && route?.state === "assigned");
    byId("conversation-claim").hidden = route?.state !== "waiting";
    byId("conversation-claim").disabled = this.claiming.has(conversationId) || !this.mayClaim();
    byId("conversation-transfer").hidden = !mayAct;
    const coordinates = this.state.isCoordinator && route && route.state !== "closed";
    byId("conversation-close").hidden = !(mine || coordinates);
    byId("note-form").hidden = !mayAct;
    this.renderRouteLine(conversationId);
    if (this.notesFor !== conversationId) this.notesLoad(conversationId);
  }

  // -- actions ------------------------------------------------------------------------

  /** Claim a waiting conversation; a colleague who was faster is said so, clearly. */
  async claim(conversationId) {
    if (this.claiming.has(conversationId)) return false;
    const route = this.state.route(conversationId);
    const language = capitalised(languageName(route?.language));
    this.claiming.add(conversationId);
    this.renderLists();
    this.notice(null);
    try {
      const answer = await routeClaim(conversationId);
      if (answer?.route) this.state.apply("queue.changed", answer.route);
      this.queueAnnounce(t("queue.claimed", { language }));
      this.render();
      await this.workspace.select(conversationId);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === "already_claimed") {
        this.notice(t("queue.taken"));
      } else {
        this.notice(reasonOf(error));
      }
      if (error instanceof ApiError && error.status === 409) {
        // The queue here was behind the helpline's: take its state again (once).
        this.load({ quiet: true });
      }
      return false;
    } finally {
      this.claiming.delete(conversationId);
      this.renderLists();
      if (this.workspace.selected?.id === conversationId) {
        this.renderConversationTools(conversationId);
      }
    }
  }

  claimFirst() {
    const first = this.state.queue()[0];
    if (!first) {
      this.queueAnnounce(t("queue.nothing_to_claim"));
      return;
    }
    if (!this.mayClaim()) {
      this.queueAnnounce(t("queue.read_only"));
      return;
    }
    this.claim(first.conversation_id);
  }

  async presenceChoose(presence) {
    const before = this.state.presenceChosen;
    this.state.presenceChosen = presence;
    this.renderPresence();
    try {
      await presenceSet(presence);
      this.announce(t("presence.saved", { presence: t(`presence.${presence}`) }));
    } catch (error) {
      this.state.presenceChosen = before;
      this.renderPresence();
      this.notice(reasonOf(error));
    }
  }

  transferOpen() {
    const conversation = this.workspace.selected;
    const route = conversation && this.state.route(conversation.id);
    if (!route || route.state !== "assigned") return;
    const targets = [
      this.transferTarget("queue", t("transfer.queue"), t("transfer.queue_hint"), false),
    ];
    const colleagues = this.state
      .colleagues()
      .filter((member) => member.user_id !== route.assigned_to);
    for (const member of colleagues) {
      const full = (member.load ?? 0) >= (member.capacity ?? 0);
      const load = t("colleague.load_label", loadOf(member));
      const shown = PRESENCES.includes(member.presence) ? member.presence : "away";
      const presence = t(`presence.${shown}`);
      const name = member.name ?? member.label;
      targets.push(
        this.transferTarget(
          String(member.user_id),
          t("transfer.colleague", { name, load: presence }),
          load,
          full,
        ),
      );
    }
    if (!colleagues.length) targets.push(el("p", { class: "hint" }, t("transfer.no_colleague")));
    replaceChildren(byId("transfer-targets"), targets);
    byId("transfer-targets").querySelector("input").checked = true;
    byId("transfer-note").value = "";
    byId("transfer-error").hidden = true;
    byId("transfer-dialog").dataset.conversationId = conversation.id;
    byId("transfer-dialog").showModal();
  }

  transferTarget(value, label, hint, disabled) {
    const id = `transfer-to-${value}`;
    return el(
      "p",
      { class: "field field-check transfer-target" },
      el("input", {
        type: "radio",
        name: "transfer-to",
        id,
        value,
        disabled,
        "aria-describedby": `${id}-hint`,
      }),
      el("label", { for: id }, label, el("span", { class: "hint", id: `${id}-hint` }, hint)),
    );
  }

  async transferSubmit() {
    const dialog = byId("transfer-dialog");
    const conversationId = dialog.dataset.conversationId;
    const chosen = dialog.querySelector("input[name=transfer-to]:checked")?.value ?? "queue";
    const text = byId("transfer-note").value.trim();
    const problem = byId("transfer-error");
    problem.hidden = true;
    if (utf8.encode(text).length > NOTE_MAX_BYTES) {
      problem.textContent = t("note.too_long");
      problem.hidden = false;
      return;
    }
    const submit = byId("transfer-submit");
    submit.disabled = true;
    try {
      const sealed = text ? await this.workspace.session.noteSeal(conversationId, text) : null;
      const toUserId = chosen === "queue" ? null : Number(chosen);
      const answer = await routeTransfer(conversationId, { toUserId, sealed });
      if (answer?.route) this.state.apply("queue.changed", answer.route);
      dialog.close();
      const member = toUserId === null ? null : this.state.members.get(toUserId);
      this.announce(
        toUserId === null
          ? t("transfer.done_queue")
          : t("transfer.done_colleague", { name: member?.name ?? t("party.colleague") }),
      );
      this.notesFor = null;
      this.render();
      this.workspace.renderSelected();
    } catch (error) {
      problem.textContent = reasonOf(error);
      problem.hidden = false;
    } finally {
      submit.disabled = false;
    }
  }

  async close() {
    const conversation = this.workspace.selected;
    if (!conversation || !window.confirm(t("close.confirm"))) return;
    try {
      const answer = await routeClose(conversation.id);
      if (answer?.route) this.state.apply("queue.changed", answer.route);
      this.announce(t("close.done"));
      this.render();
      this.workspace.renderSelected();
    } catch (error) {
      this.notice(reasonOf(error));
    }
  }

  // -- notes --------------------------------------------------------------------------

  async notesLoad(conversationId) {
    this.notesFor = conversationId;
    const list = byId("notes-list");
    replaceChildren(list);
    byId("notes-count").textContent = "0";
    byId("notes-empty").hidden = false;
    if (this.state.route(conversationId) === null) return;
    let notes;
    try {
      notes = await notesGet(conversationId);
    } catch {
      return; // a conversation without a route, or gone: no notes to show
    }
    if (this.notesFor !== conversationId) return;
    const items = [];
    for (const note of notes) {
      let text;
      let unreadable = false;
      try {
        text = await this.workspace.session.noteOpen(conversationId, {
          teamKeyVersion: note.team_key_version,
          note: note.note,
        });
      } catch {
        text = t("note.unreadable");
        unreadable = true;
      }
      const meta = t("note.meta", {
        kind: t(`note.kind.${note.kind}`),
        name: note.author?.name ?? t("note.nobody"),
        when: dayTimeText(note.created_at),
      });
      items.push(
        el(
          "li",
          { class: `note${unreadable ? " note-unreadable" : ""}`, dataset: { kind: note.kind } },
          el("p", { class: "note-meta" }, meta),
          el("p", { class: "note-text" }, text),
        ),
      );
    }
    if (this.notesFor !== conversationId) return;
    replaceChildren(list, items);
    byId("notes-count").textContent = String(items.length);
    byId("notes-empty").hidden = items.length > 0;
    const route = this.state.route(conversationId);
    // A handed-over conversation opens on its notes: they are what the next person needs.
    if (items.length && route?.handed_over) panelOpen("notes");
  }

  noteWrite() {
    const conversation = this.workspace.selected;
    if (!conversation || byId("note-form").hidden) return false;
    panelOpen("notes");
    byId("note-text").focus();
    return true;
  }

  async noteSave() {
    const conversation = this.workspace.selected;
    const input = byId("note-text");
    const status = byId("note-status");
    const text = input.value.trim();
    if (!conversation || !text) return;
    if (utf8.encode(text).length > NOTE_MAX_BYTES) {
      status.textContent = t("note.too_long");
      return;
    }
    byId("note-save").disabled = true;
    try {
      const sealed = await this.workspace.session.noteSeal(conversation.id, text);
      await noteAdd(conversation.id, sealed);
      input.value = "";
      status.textContent = t("note.saved");
      await this.notesLoad(conversation.id);
    } catch (error) {
      status.textContent = reasonOf(error);
    } finally {
      byId("note-save").disabled = false;
    }
  }

  /** "Write hand-over notes" in the reminder: the first of my conversations, its note. */
  async reminderNotes() {
    const first = this.state.mine()[0];
    if (!first) return;
    await this.workspace.select(first.conversation_id);
    this.noteWrite();
  }

  // -- messages to the person -------------------------------------------------------

  /** Something the person must see (a refused claim): shown, and read out at once. */
  notice(text) {
    const box = byId("dashboard-notice");
    box.hidden = !text;
    box.textContent = text ?? "";
  }

  /** Queue news for screen readers (a polite live region of its own). */
  queueAnnounce(text) {
    const live = byId("queue-live");
    live.textContent = "";
    setTimeout(() => {
      live.textContent = text;
    }, 50);
  }

  announce(text) {
    const live = byId("announcer");
    live.textContent = "";
    setTimeout(() => {
      live.textContent = text;
    }, 50);
  }

  // -- wiring ---------------------------------------------------------------------------

  bind() {
    for (const input of document.querySelectorAll("#presence input[name=presence]")) {
      input.onchange = () => {
        if (input.checked) this.presenceChoose(input.value);
      };
    }
    byId("conversation-claim").onclick = () => {
      if (this.workspace.selected) this.claim(this.workspace.selected.id);
    };
    byId("conversation-transfer").onclick = () => this.transferOpen();
    byId("conversation-close").onclick = () => this.close();
    byId("transfer-form").onsubmit = (event) => {
      event.preventDefault();
      this.transferSubmit();
    };
    byId("transfer-cancel").onclick = () => byId("transfer-dialog").close();
    byId("note-form").onsubmit = (event) => {
      event.preventDefault();
      this.noteSave();
    };
    byId("reminder-notes").onclick = () => this.reminderNotes();
    byId("reminder-dismiss").onclick = () => {
      this.reminderDismissed = this.state.reminder?.ends_at ?? null;
      this.renderReminder();
    };
    byId("dashboard-notice").onclick = () => this.notice(null);

    const sound = byId("sound-on");
    sound.checked = this.notifier.soundOn;
    sound.onchange = () => this.notifier.soundSet(sound.checked);
    byId("notifications-enable").onclick = async () => {
      await this.notifier.permissionAsk();
      this.renderNotificationState();
    };
    this.renderNotificationState();
    // Audio may start only after a gesture: the first click or key press unlocks it.
    const unlock = () => this.notifier.unlock();
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });

    byId("shortcuts-open").onclick = () => byId("shortcuts-dialog").showModal();
    this.unbindShortcuts = shortcutsBind({
      j: () => focusStep(this.listButtons(), 1),
      k: () => focusStep(this.listButtons(), -1),
      c: () => this.claimFirst(),
      r: () => this.workspace.composerFocus(),
      t: () => {
        if (byId("conversation-transfer").hidden) return false;
        this.transferOpen();
      },
      n: () => this.noteWrite(),
      "?": () => {
        const dialog = byId("shortcuts-dialog");
        if (dialog.open) dialog.close();
        else dialog.showModal();
      },
    });
  }

  listButtons() {
    const lists = "#queue-list .conversation-item, #conversation-list .conversation-item";
    return [...document.querySelectorAll(lists)];
  }

  renderNotificationState() {
    const permission = this.notifier.permission;
    const button = byId("notifications-enable");
    const line = byId("notifications-state");
    button.hidden = permission !== "default";
    line.textContent =
      permission === "granted"
        ? t("notifications.on")
        : permission === "denied"
          ? t("notifications.denied")
          : permission === "unsupported"
            ? t("notifications.unsupported")
            : "";
  }
}
