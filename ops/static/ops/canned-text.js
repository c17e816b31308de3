/**
 * Canned replies in the staff browser: finding one by what is typed after "/", and
 * filling in its variables. The same rules as ops/canned/search.py and
 * ops/canned/rules.py (body_fill, variable_values_for); both are tested against
 * tests/fixtures/canned_vectors.json. Pure functions: no DOM, no network.
 * @module
 */

const SEPARATORS = /[\s\-_/'’(),.;:«»"]+/u;
const MARK = /\p{Mn}/u;
const LATIN = /[A-Za-z]/;
export const VARIABLES = ["next_opening", "address", "hours", "testing_centre", "phone"];
const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Accents fold away on Latin letters only (é → e, ș → s); й stays й; lower case. */
export function fold(text) {
  let base = "";
  let kept = "";
  for (const char of text.normalize("NFD")) {
    if (MARK.test(char)) {
      if (LATIN.test(base)) continue;
    } else {
      base = char;
    }
    kept += char;
  }
  return kept.normalize("NFC").toLowerCase();
}

export function queryWords(query) {
  let text = query.trim();
  if (text.startsWith("/")) text = text.slice(1);
  return fold(text).split(/\s+/u).filter(Boolean);
}

/** What one entry is found by: `{key, shortcut, names}`, all folded. */
export function searchable(key, shortcut, titles, tags) {
  return {
    key,
    shortcut: fold(shortcut),
    names: [...titles, ...tags].filter(Boolean).map(fold),
  };
}

function wordRank(word, entry) {
  if (entry.shortcut.startsWith(word)) return 0;
  for (const name of entry.names) {
    if (name.startsWith(word) || name.split(SEPARATORS).some((part) => part.startsWith(word))) {
      return 1;
    }
  }
  if (entry.shortcut.includes(word) || entry.names.some((name) => name.includes(word))) return 2;
  return null;
}

/** The keys of the entries matching `query`, best first, then by shortcut. */
export function search(entries, query) {
  const words = queryWords(query);
  const scored = [];
  for (const entry of entries) {
    let score = 0;
    let found = true;
    for (const word of words) {
      const rank = wordRank(word, entry);
      if (rank === null) {
        found = false;
        break;
      }
      score += rank;
    }
    if (found) scored.push([score, entry.shortcut, entry.key]);
  }
  scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return scored.map((item) => item[2]);
}

/**
 * `{text, missing}`: the body with the variables `values` has filled in; a variable
 * without a value stays written (`{phone}`) and is named in `missing`, for staff to
 * fill in by hand: never replaced by nothing.
 */
export function fill(body, values) {
  const missing = [];
  const text = body.replace(VARIABLE, (whole, name) => {
    if (!VARIABLES.includes(name)) return whole;
    const value = String(values[name] ?? "").trim();
    if (!value) {
      if (!missing.includes(name)) missing.push(name);
      return whole;
    }
    return value;
  });
  return { text, missing };
}

/** The variables still written in a draft (`{phone}`…), known names only. */
export function unfilled(text) {
  const names = [];
  for (const match of text.matchAll(VARIABLE)) {
    if (VARIABLES.includes(match[1]) && !names.includes(match[1])) names.push(match[1]);
  }
  return names;
}

/** The values for a conversation in `language`, from `[{name, language, value}]`: a
 * language's own value wins over the one for every language (""). */
export function valuesFor(language, rows) {
  const chosen = {};
  for (const row of rows) if (row.language === "" && !(row.name in chosen)) chosen[row.name] = row.value;
  for (const row of rows) if (row.language === language) chosen[row.name] = row.value;
  return chosen;
}

/** "bg-BG" → "bg": the library is written per primary language. */
export function primaryLanguage(tag) {
  return String(tag ?? "").toLowerCase().split("-")[0];
}

/**
 * The library's language for a conversation's BCP 47 tag: the tag with its region when
 * the library has texts in it ("pt-br" → "pt-BR"), otherwise its primary language
 * ("bg-BG" → "bg", "zh-Hans-CN" → "zh"). `languages`: the library's (`/canned`).
 */
export function libraryLanguage(tag, languages = []) {
  const [primary, region] = String(tag ?? "").replace(/_/g, "-").split("-");
  const regional = region && /^[A-Za-z]{2}$/.test(region) ? `${primary.toLowerCase()}-${region.toUpperCase()}` : "";
  return regional && languages.includes(regional) ? regional : primaryLanguage(primary);
}
