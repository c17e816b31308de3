/**
 * Translated interface text for the staff pages. The page template renders the strings
 * in the user's language into a JSON data block (`#ops-strings`, not executed, so the
 * CSP allows it); placeholders are written `{name}`.
 * @module
 */

let table = null;

function load() {
  if (table === null) {
    const block = document.getElementById("ops-strings");
    table = block ? JSON.parse(block.textContent) : {};
  }
  return table;
}

/** The translated text for `key`, with `{name}` placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = load()[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) =>
    Object.hasOwn(values, name) ? String(values[name]) : match,
  );
}

/** The page's language (the `lang` of <html>), for dates and language names. */
export function pageLanguage() {
  return document.documentElement.lang || "fr";
}
