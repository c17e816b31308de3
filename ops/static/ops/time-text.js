/**
 * Times and durations as the staff pages show them, in the page's language and on the
 * helpline's clock (its time zone is on the page's root element, `data-time-zone`).
 * @module
 */

import { pageLanguage, t } from "./strings.js";

const DEFAULT_TIME_ZONE = "Europe/Paris";

/** The helpline's time zone, from `<… data-time-zone>` on the page. */
export function helplineTimeZone() {
  return document.querySelector("[data-time-zone]")?.dataset.timeZone || DEFAULT_TIME_ZONE;
}

function format(seconds, options) {
  const when = new Date(seconds * 1000);
  try {
    const zoned = { ...options, timeZone: helplineTimeZone() };
    return new Intl.DateTimeFormat(pageLanguage(), zoned).format(when);
  } catch {
    return new Intl.DateTimeFormat(pageLanguage(), options).format(when);
  }
}

/** "14:05" */
export function clockText(seconds) {
  return format(seconds, { hour: "2-digit", minute: "2-digit" });
}

/** "lundi 23 novembre, 14:00" — a moment that may be days away. */
export function dayTimeText(seconds) {
  return format(seconds, {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "12 min", "1 h 05 min", "2 d 3 h"; under a minute, "less than a minute". */
export function durationText(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return t("duration.seconds");
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return t("duration.minutes", { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return t("duration.hours", { h: hours, m: String(minutes % 60).padStart(2, "0") });
  }
  return t("duration.days", { d: Math.floor(hours / 24), h: hours % 24 });
}

/** A language code as words in the page's language ("bg" → "bulgare"). */
export function languageName(code) {
  if (!code) return "?";
  try {
    const names = new Intl.DisplayNames([pageLanguage()], { type: "language" });
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The first letter in upper case, as a title starts. */
export function capitalised(text) {
  return text ? text[0].toLocaleUpperCase(pageLanguage()) + text.slice(1) : text;
}
