// The status line above the composer: where things stand, in one sentence, at every
// moment — connecting, sent and how many wait before the visitor, someone is reading,
// someone is writing, answered, closed by the team (and that writing reopens it), out
// of hours with the next opening. A pure function of what the page knows: app.js calls
// it again whenever any of it changes, and ui.js shows what it says.
//
// Returns {key, values, tone}: a catalogue key, its values, and a tone for the colour
// ("good", "wait", "warn", "off").

/**
 * @param {object} state
 * @param {string} state.connection the session's status: idle, connecting, open,
 *   reconnecting, closed, offline
 * @param {boolean} state.ended the conversation cannot go on (closed or blocked)
 * @param {{open: boolean, someoneHere: boolean}|null} state.helpline
 * @param {string|null} state.nextOpening the next opening, written for the visitor
 * @param {{state: string, ahead: number|null}|null} state.route
 * @param {"visitor"|"staff"|null} state.lastFrom who wrote the newest message
 * @param {boolean} state.readByTeam the team read the visitor's newest message
 * @param {string|null} state.typing who is writing to the visitor (a label), or null
 * @param {boolean} [state.delayed] a send is being tried again (the server failed)
 */
export function statusLine(state) {
  const { connection, helpline, route, lastFrom, nextOpening } = state;
  if (state.ended || connection === "closed") return line("status_closed", "off");
  if (connection === "offline") return line("status_offline", "warn");
  // A message not stored yet (the server failed, or the link dropped): it goes again by
  // itself, and the visitor is told so rather than left guessing.
  if (state.delayed) return line("status_send_delayed", "warn");
  if (connection === "reconnecting") return line("status_reconnecting", "warn");
  if (connection !== "open") return line("status_connecting", "wait");

  const closedNow = helpline !== null && !helpline.open;
  if (state.typing) return line("status.typing", "good", { label: state.typing });
  if (route?.state === "closed" && lastFrom !== "visitor") {
    if (closedNow && nextOpening) {
      return line("status.team_closed_until", "wait", { when: nextOpening });
    }
    return line(closedNow ? "status.team_closed_later" : "status.team_closed", "wait");
  }
  if (lastFrom === "staff") return line("status.answered", "good");
  if (lastFrom === "visitor") {
    if (state.readByTeam) return line("status.reading", "good");
    if (closedNow) {
      return nextOpening
        ? line("status.sent_closed", "warn", { when: nextOpening })
        : line("status.sent_closed_unknown", "warn");
    }
    if (route?.state === "assigned") return line("status.assigned", "good");
    if (route?.state === "waiting" && route.ahead > 0) {
      return line("status.ahead", "wait", { count: route.ahead });
    }
    if (route?.state === "waiting" && route.ahead === 0) return line("status.next", "wait");
    return line("status.sent", "wait");
  }
  if (closedNow) {
    return nextOpening
      ? line("status.out_of_hours", "warn", { when: nextOpening })
      : line("status.out_of_hours_unknown", "warn");
  }
  if (helpline?.someoneHere) return line("status.someone_here", "good");
  return line("status_open", "good");
}

function line(key, tone, values = {}) {
  return { key, tone, values };
}
