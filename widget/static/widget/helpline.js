// Whether someone is there to answer (the `helpline.status` frame, docs/protocol.md
// §8.1), shown in the visitor's language: a discreet line when someone on shift is
// available; when the helpline is closed, at once, when it opens again (in the
// helpline's time zone), the emergency numbers, tappable, and what cannot wait for the
// next shift (a risk less than 48 hours ago). The visitor can always write: messages
// wait for the next shift. The status line above the composer says "closed, we open
// again on …" too, so it stays in view when the notice has scrolled away.
//
// It never says who is there, and nothing here reaches the server.

import { languageCurrent, t } from "./i18n.js";

// French emergency numbers (free, day and night). 114 takes text messages (SMS), for
// deaf people or anyone who cannot speak; the others are calls. 15: medical emergencies
// (SAMU); 115: emergency shelter.
export const EMERGENCY_NUMBERS = [
  { number: "112", scheme: "tel" },
  { number: "15", scheme: "tel" },
  { number: "17", scheme: "tel" },
  { number: "115", scheme: "tel" },
  { number: "119", scheme: "tel" },
  { number: "3919", scheme: "tel" },
  { number: "114", scheme: "sms" },
];

const DEFAULT_TIME_ZONE = "Europe/Paris";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A shift start (Unix seconds) as the visitor reads dates, on the helpline's clock:
 * "lundi 23 novembre à 14:00", "Monday, November 23 at 2:00 PM". */
export function openingFormat(seconds, language, timeZone = DEFAULT_TIME_ZONE) {
  const options = {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "numeric",
    minute: "2-digit",
  };
  const when = new Date(seconds * 1000);
  try {
    return new Intl.DateTimeFormat(language, { ...options, timeZone }).format(when);
  } catch {
    // An engine without that zone or language: the phone's own clock and language.
    return new Intl.DateTimeFormat(undefined, options).format(when);
  }
}

export class HelplineNotice {
  /**
   * @param {HTMLOListElement} list the messages list: "closed" goes at its end when the
   *   status comes (the newest thing on the screen), "someone is here" right after the
   *   welcome
   * @param {{timeZone?: string, announce?: (text: string) => void, added?: () => void}}
   *   options `added` is called when the list got a new item (to keep it in view)
   */
  constructor(list, { timeZone = DEFAULT_TIME_ZONE, announce = () => {}, added = () => {} } = {}) {
    this.list = list;
    this.timeZone = timeZone || DEFAULT_TIME_ZONE;
    this.announce = announce;
    this.added = added;
    this.status = null;
    this.item = null;
  }

  /** "here" (someone available), "closed", or "" (open, nobody free right now: the
   * team answers as soon as it can, nothing to add). */
  get state() {
    if (this.status === null) return "";
    if (!this.status.open) return "closed";
    return this.status.someoneHere ? "here" : "";
  }

  get closed() {
    return this.state === "closed";
  }

  /** A new `{open, someoneHere, nextOpening}` from the session. */
  show(status) {
    const before = this.state;
    const nextBefore = this.status?.nextOpening ?? null;
    this.status = status;
    this.render();
    if (this.state === "closed" && (before !== "closed" || nextBefore !== status.nextOpening)) {
      this.announce(this.closedSummary());
    }
  }

  closedSummary() {
    const parts = [t("status.closed")];
    if (this.status.nextOpening !== null) parts.push(this.nextOpeningText());
    parts.push(t("status.write_anyway"));
    return parts.join(" ");
  }

  nextOpeningText() {
    return t("status.next_opening", { when: this.nextOpeningWhen() });
  }

  /** "lundi 23 novembre à 14:00", or null when the next opening is not known. */
  nextOpeningWhen() {
    if (this.status?.nextOpening == null) return null;
    return openingFormat(this.status.nextOpening, languageCurrent(), this.timeZone);
  }

  /** Draw (or redraw, after a language switch) what the current status says. */
  render() {
    const state = this.state;
    if (!state) {
      this.item?.remove();
      this.item = null;
      return;
    }
    if (this.item && this.item.dataset.state !== state) {
      this.item.remove(); // "here" sits after the welcome, "closed" before it
      this.item = null;
    }
    const item = element("li", `helpline helpline-${state}`);
    item.id = "helpline";
    item.dataset.state = state;
    if (state === "here") {
      item.append(element("p", "helpline-here-line", t("status.someone_here")));
    } else {
      item.append(this.closedBody());
    }
    if (this.item) {
      this.item.replaceWith(item);
    } else if (state === "closed") {
      // The newest thing on the screen: when we open, and whom to call meanwhile.
      this.list.append(item);
      this.added();
    } else {
      const welcome = this.list.querySelector(".welcome");
      if (welcome) welcome.after(item);
      else this.list.prepend(item);
    }
    this.item = item;
  }

  closedBody() {
    const body = document.createDocumentFragment();
    const head = element("p", "helpline-closed-head");
    head.append(element("strong", "", t("status.closed")));
    if (this.status.nextOpening !== null) {
      head.append(" ", element("span", "helpline-next", this.nextOpeningText()));
    }
    body.append(head);
    // "You can still write" is on the status line, by the composer.
    body.append(element("p", "emergency-title", t("emergency.title")));
    const numbers = element("ul", "emergency");
    for (const { number, scheme } of EMERGENCY_NUMBERS) {
      const line = element("li");
      line.dataset.number = number;
      const link = element("a", "emergency-number", number);
      link.href = `${scheme}:${number}`;
      const what = element("span", "emergency-what", t(`emergency.${number}`));
      // The link's name says what the number is for, not only its digits.
      const whatId = `emergency-${number}`;
      what.id = whatId;
      link.setAttribute("aria-describedby", whatId);
      line.append(link, " ", what);
      numbers.append(line);
    }
    body.append(numbers);
    // Treatment after a risk (PEP) starts within 48 hours: it cannot wait for Monday.
    body.append(element("p", "emergency-risk", t("emergency.risk")));
    return body;
  }
}
