/**
 * The shift dashboard's state: the queue, my conversations, the people on shift, the
 * open shifts, my reminder. No DOM, no socket: it is loaded from `GET
 * /staff/api/dashboard` and then changed only by `staff.event` frames (ops/README.md),
 * and the dashboard renders what it says.
 *
 * Times are Unix seconds on the helpline's clock. The server's `now` at load gives the
 * offset to this browser's clock, so waiting times and the shift's remaining time tick
 * right even when the two clocks differ (or a test moved the server's).
 * @module
 */

export const PRESENCES = ["available", "busy", "away"];

/** The primary subtag of a language tag ("pt-BR" → "pt"), lowercase. */
function primaryLanguage(tag) {
  return String(tag ?? "").toLowerCase().split("-")[0];
}

/** A route as the state keeps it (wire names, as in ops/routing/events.route_json). */
function routeFrom(data) {
  return {
    conversation_id: data.conversation_id,
    state: data.state,
    assigned_to: data.assigned_to ?? null,
    language: data.language ?? "",
    skill: data.skill ?? "",
    waiting_since: data.waiting_since ?? null,
    last_order: data.last_order ?? 0,
    visitor_last_order: data.visitor_last_order ?? 0,
    handed_over: Boolean(data.handed_over),
    assigned_at: data.assigned_at ?? null,
  };
}

export class ShiftState {
  /** @param {{me: number}} options the signed-in user's id */
  constructor({ me }) {
    this.me = Number(me);
    this.routes = new Map(); // conversation id → route
    // user id → {user_id, name, label, presence, load, capacity, languages, skills}
    this.members = new Map();
    this.open = []; // open shift instances (ops/routing/events.instances_json)
    this.nextOpening = null;
    this.reminder = null; // {ends_at, minutes_left} from shift.reminder
    this.skew = 0; // server clock − this browser's clock, seconds
    this.myProfile = { languages: [], skills: [], capacity: 0, presence: "away" };
    this.presenceChosen = "available";
    this.isCoordinator = false;
    this.shiftEndsAt = null; // when my time on shift ends
    this.readOrders = new Map(); // conversation id → how far I read it (server's view, at load)
    this.arrivals = 0; // order in which routes became known, to break ties of whole seconds
    this.autoAssign = false;
    this.loaded = false;
  }

  /** Seconds on the helpline's clock, now. */
  now() {
    return Date.now() / 1000 + this.skew;
  }

  /**
   * The initial state (GET /staff/api/dashboard, ops/routing/dashboard.py): `{now, me, shifts,
   * queue, mine, next_opening}`. Replaces everything: also used after a reconnection,
   * when events may have been missed.
   */
  load(payload, clientNow = Date.now() / 1000) {
    if (typeof payload.now === "number") this.skew = payload.now - clientNow;
    this.routes.clear();
    this.readOrders = new Map();
    this.arrivals = 0;
    for (const data of [...(payload.queue ?? []), ...(payload.mine ?? [])]) {
      this.routes.set(data.conversation_id, { ...routeFrom(data), arrival: this.arrivals++ });
      if (typeof data.last_read_order === "number") {
        this.readOrders.set(data.conversation_id, data.last_read_order);
      }
    }
    this.members.clear();
    if (payload.me) {
      this.memberPut(payload.me);
      this.presenceChosen = payload.me.presence_chosen ?? payload.me.presence ?? "available";
      this.isCoordinator = Boolean(payload.me.is_coordinator);
      this.shiftEndsAt = payload.me.shift_ends_at ?? null;
    }
    this.shiftsSet(payload.shifts ?? [], payload.next_opening ?? null);
    this.autoAssign = Boolean(payload.auto_assign);
    this.loaded = true;
  }

  memberPut(data) {
    const before = this.members.get(data.user_id) ?? {};
    const member = { ...before, ...data };
    this.members.set(data.user_id, member);
    if (member.user_id === this.me) this.myProfile = { ...this.myProfile, ...member };
    return member;
  }

  shiftsSet(open, nextOpening) {
    this.open = open;
    this.nextOpening = nextOpening;
    for (const instance of open) for (const member of instance.staff ?? []) this.memberPut(member);
    const mine = this.myShifts();
    if (!mine.length) {
      this.shiftEndsAt = null;
      this.reminder = null; // a reminder belongs to a shift of mine still running
    } else {
      // The server's value (at load) follows my back-to-back shifts; keep it while it
      // is still ahead of the open ones.
      const end = Math.max(...mine.map((instance) => instance.ends_at));
      this.shiftEndsAt = Math.max(end, this.shiftEndsAt ?? 0);
    }
  }

  /**
   * Apply one `staff.event`; returns what the dashboard may want to say about it:
   * `{kind: "queued", route}` when a conversation enters the queue, `{kind: "assigned",
   * route}` when one becomes mine, `{kind: "taken", route}` when one I could see in the
   * queue was taken by someone else, or `{kind: "changed"}`.
   */
  apply(event, data) {
    switch (event) {
      case "queue.changed":
        return this.routeChanged(data);
      case "conversation.assigned": {
        const route = this.routes.get(data.conversation_id);
        if (route && route.state === "assigned" && route.assigned_to === this.me) {
          return { kind: "changed" };
        }
        // The route itself comes (or came) in a queue.changed: remember it is mine.
        const mine = routeFrom({
          ...(route ?? {}),
          ...data,
          state: "assigned",
          assigned_to: this.me,
        });
        this.routes.set(data.conversation_id, mine);
        return { kind: "assigned", route: mine };
      }
      case "conversation.deleted": {
        // Deleted by its visitor, or expired: gone from every list.
        const route = this.routes.get(data.conversation_id) ?? null;
        this.routes.delete(data.conversation_id);
        return {
          kind: "deleted",
          conversationId: data.conversation_id,
          reason: data.reason,
          language: route?.language ?? "",
        };
      }
      case "presence.changed":
        this.memberPut(data);
        return { kind: "changed" };
      case "shift.changed":
        this.shiftsSet(data.open ?? [], data.next_opening ?? null);
        return { kind: "changed" };
      case "shift.reminder": {
        this.reminder = { ends_at: data.ends_at, minutes_left: data.minutes_left };
        // The reminder says what time it is on the helpline's clock, to the minute: if
        // this page's idea of it is further off than that, it takes the helpline's.
        const helplineNow = data.ends_at - data.minutes_left * 60;
        if (Math.abs(helplineNow - this.now()) > 90) this.skew = helplineNow - Date.now() / 1000;
        return { kind: "reminder" };
      }
      default:
        return { kind: "unknown" };
    }
  }

  routeChanged(data) {
    const before = this.routes.get(data.conversation_id) ?? null;
    const route = routeFrom(data);
    if (route.state === "closed") {
      this.routes.delete(route.conversation_id);
      return { kind: "changed", route };
    }
    if (route.state === "assigned" && route.assigned_at === null) {
      // queue.changed does not say since when: the earlier value, or now.
      const same = before?.state === "assigned" && before.assigned_to === route.assigned_to;
      route.assigned_at = same ? before.assigned_at : Math.floor(this.now());
    }
    // Times are whole seconds: conversations queued within one second keep the order
    // they came in (the API's, at load; the events', after).
    route.arrival = before?.arrival ?? this.arrivals++;
    this.routes.set(route.conversation_id, route);
    if (route.state === "waiting" && before?.state !== "waiting") {
      // `wasMine`: handed back by me (a transfer, the end of my shift): no alert for it.
      const wasMine = before?.state === "assigned" && before.assigned_to === this.me;
      return { kind: "queued", route, wasMine };
    }
    if (route.state === "assigned" && route.assigned_to === this.me) {
      if (before?.state !== "assigned" || before.assigned_to !== this.me) {
        return { kind: "assigned", route };
      }
    } else if (route.state === "assigned" && before?.state === "waiting") {
      return { kind: "taken", route };
    }
    return { kind: "changed", route };
  }

  /** How well a waiting conversation fits me, as ops/routing/services.queue ranks it: my
   * language first, then the skill it asks for (one asking for a skill I lack comes
   * after one asking for none). Higher is better. */
  matchOf(route) {
    const languages = (this.myProfile.languages ?? []).map(primaryLanguage);
    const skills = this.myProfile.skills ?? [];
    const language = languages.includes(primaryLanguage(route.language)) ? 1 : 0;
    const skill = route.skill ? (skills.includes(route.skill) ? 2 : 0) : 1;
    return language * 3 + skill;
  }

  /** Waiting conversations, best match for me first, then the longest waiting (the
   * order of the API, ops/README.md). */
  queue() {
    return [...this.routes.values()]
      .filter((route) => route.state === "waiting")
      .sort(
        (a, b) =>
          this.matchOf(b) - this.matchOf(a) ||
          (a.waiting_since ?? 0) - (b.waiting_since ?? 0) ||
          a.arrival - b.arrival,
      );
  }

  /** My conversations, the ones whose visitor wrote last first. */
  mine() {
    return [...this.routes.values()]
      .filter((route) => route.state === "assigned" && route.assigned_to === this.me)
      .sort(
        (a, b) =>
          (b.visitor_last_order ?? 0) - (a.visitor_last_order ?? 0) || b.last_order - a.last_order,
      );
  }

  route(conversationId) {
    return this.routes.get(conversationId) ?? null;
  }

  /** The open shift instances I am on. */
  myShifts() {
    const mine = (instance) => (instance.staff ?? []).some((m) => m.user_id === this.me);
    return this.open.filter(mine);
  }

  /** The people on an open shift, me excepted, by name. */
  colleagues() {
    const ids = new Set();
    for (const instance of this.open) {
      for (const member of instance.staff ?? []) ids.add(member.user_id);
    }
    ids.delete(this.me);
    return [...ids]
      .map((id) => this.members.get(id))
      .filter(Boolean)
      .sort((a, b) => String(a.name ?? a.label).localeCompare(String(b.name ?? b.label)));
  }

  /** What colleagues see of me (presence shown, load, capacity), or null. */
  myself() {
    return this.members.get(this.me) ?? null;
  }

  /** Whether a shift with someone on it is open (what visitors are told). */
  isOpen() {
    return this.open.some((instance) => (instance.staff ?? []).length > 0);
  }
}
