// The widget's strings: one JSON catalogue per language in ./i18n/<lang>.json, at the
// URLs the page's configuration gives (hashed names: cached for good), the page's own
// language preloaded. The server renders the first screen in the visitor's language;
// this module takes over for everything the JS writes, and for the language switch,
// which must not reload the page (that would lose a conversation held only in memory).
//
// Elements carry their key: data-i18n (text), data-i18n-placeholder,
// data-i18n-aria-label; a JS-written string its values (data-i18n-values) and, for a
// `{language}` placeholder, the language's code (data-i18n-language), named again in
// the current language at each switch.

const catalogues = new Map();
let current = { language: "fr", strings: {} };
let urls = {};

/** Where each language's catalogue is: `{fr: "/static/widget/i18n/fr.<hash>.json", …}`. */
export function cataloguesAt(catalogueUrls) {
  urls = catalogueUrls;
}

export async function catalogueLoad(language) {
  if (!catalogues.has(language)) {
    if (!urls[language]) throw new Error(`no catalogue for ${language}`);
    const response = await fetch(urls[language], { credentials: "same-origin" });
    if (!response.ok) throw new Error(`no catalogue for ${language}`);
    catalogues.set(language, await response.json());
  }
  return catalogues.get(language);
}

/** Makes `language` current (its catalogue loaded first). */
export async function languageUse(language) {
  const strings = await catalogueLoad(language);
  current = { language, strings };
  const root = document.documentElement;
  root.lang = language;
  root.dir = strings._meta?.dir === "rtl" ? "rtl" : "ltr";
  domTranslate(document);
  return language;
}

export function languageCurrent() {
  return current.language;
}

/** The string for `key`, `{name}` placeholders filled from `values`. A string with
 *  plural forms has keys `key|one`, `key|few`, `key|many`, `key|other` (CLDR categories,
 *  `other` always there): the form Intl.PluralRules picks for the first number among
 *  `values` is used. */
export function t(key, values = {}) {
  const template = current.strings[key] ?? pluralForm(key, values) ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}

function pluralForm(key, values) {
  const strings = current.strings;
  if (!(`${key}|other` in strings)) return undefined;
  const count = Object.values(values).find((value) => typeof value === "number");
  const category =
    count === undefined ? "other" : new Intl.PluralRules(current.language).select(count);
  return strings[`${key}|${category}`] ?? strings[`${key}|other`];
}

export function domTranslate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n, valuesOf(element));
  }
  for (const element of root.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  for (const element of root.querySelectorAll("[data-i18n-aria-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  }
}

/** The placeholder values a JS-written string was made with (data-i18n-values), and
 *  `language` named from data-i18n-language. */
export function valuesOf(element) {
  let values;
  try {
    values = JSON.parse(element.dataset.i18nValues ?? "{}");
  } catch {
    values = {};
  }
  const code = element.dataset.i18nLanguage;
  return code === undefined ? values : { ...values, language: languageName(code) };
}

/** A language's name in the current language ("bulgare", "български"…). */
export function languageName(code) {
  try {
    return new Intl.DisplayNames([current.language], { type: "language" }).of(code) ?? code;
  } catch {
    return code || "?";
  }
}
