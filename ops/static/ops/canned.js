/**
 * The canned replies' page (/staff/canned/): the library with, for every entry, the
 * languages it still lacks and its review (which version, by whom, when); for the
 * coordinator, marking the version read as reviewed, the editor (a text per language),
 * the values of the variables, and import of a library file. Everything through
 * ops/api_canned.py; what the API refuses is said next to the field it names.
 * @module
 */

import { search, searchable } from "./canned-text.js";
import { byId, el, replaceChildren } from "./elements.js";
import { ApiError, API, api } from "./http.js";
import { pageLanguage, t } from "./strings.js";
import { capitalised, helplineTimeZone, languageName } from "./time-text.js";

const root = byId("canned");
const canEdit = root.dataset.canEdit === "1";
const state = { library: null, editing: null };

function statusSay(text, kind = "ok") {
  const status = byId("canned-status");
  status.className = `notice notice-${kind}`;
  status.textContent = text;
  status.hidden = false;
}

function languageLabel(code) {
  return `${capitalised(languageName(code))} (${code})`;
}

/** "7 décembre 2026": a review may be a year old. */
function dateText(seconds) {
  const options = { dateStyle: "long" };
  try {
    return new Intl.DateTimeFormat(pageLanguage(), { ...options, timeZone: helplineTimeZone() }).format(seconds * 1000);
  } catch {
    return new Intl.DateTimeFormat(pageLanguage(), options).format(seconds * 1000);
  }
}

async function load() {
  state.library = await api("/canned");
  render();
  if (canEdit) {
    textsRender(state.editing);
    variablesRender();
  }
  root.setAttribute("aria-busy", "false");
}

/** Opened from a conversation's "Set {name}" (canned-picker.js): that variable's value
 * field, ready to type in; a new row when it has none. Staff who cannot set it are told
 * who can. */
function variableAsked() {
  const name = new URLSearchParams(window.location.search).get("variable");
  if (!name || !root.dataset.variables.split(",").includes(name)) return;
  if (!canEdit) {
    statusSay(t("canned.variable_coordinator_only", { name: `{${name}}` }), "info");
    return;
  }
  const rows = [...byId("variables-list").children];
  let row = rows.find((item) => item.querySelector(".var-name").value === name);
  if (row === undefined) {
    row = variableRow({ name, language: "", value: "" });
    byId("variables-list").append(row);
  }
  row.classList.add("variable-asked");
  const status = byId("variables-status");
  status.className = "notice notice-info";
  status.textContent = t("canned.variable_asked", { name: `{${name}}` });
  status.hidden = false;
  row.querySelector(".var-value").focus();
}

// -- the library ----------------------------------------------------------------------------

function render() {
  const { replies, languages, unreviewed } = state.library;
  byId("canned-count").textContent = t("canned.count", { n: replies.length, unreviewed });
  const query = byId("canned-filter").value;
  const entries = replies.map((reply) =>
    searchable(reply, reply.shortcut, [reply.title, ...Object.values(reply.texts).map((x) => x.title)], reply.tags),
  );
  const shown = query.trim() ? search(entries, query) : replies;
  const rows = shown.map((reply) => {
    const present = languages.filter((code) => code in reply.texts);
    const missing = reply.missing.length
      ? el("p", { class: "canned-missing-list" }, t("canned.missing_list", { languages: reply.missing.map(languageLabel).join(", ") }))
      : el("p", { class: "muted small" }, t("canned.missing_none"));
    const actions = canEdit
      ? [
          el("button", { type: "button", class: "button small", "aria-label": t("canned.edit_label", { shortcut: reply.shortcut }), onclick: () => edit(reply) }, t("canned.edit")),
          " ",
          el("button", { type: "button", class: "button small danger", onclick: () => remove(reply) }, t("canned.delete")),
        ]
      : [];
    return el(
      "tr",
      { dataset: { shortcut: reply.shortcut } },
      el("th", { scope: "row" }, "/" + reply.shortcut),
      el("td", {}, reply.title, sourcesList(reply.sources)),
      el("td", {}, reply.tags.join(", ")),
      el("td", {}, el("p", {}, present.join(" ")), missing),
      el("td", { class: "canned-review" }, reviewCell(reply)),
      el("td", {}, actions),
    );
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("canned.none"))));
  replaceChildren(byId("canned-body"), rows);
}

// A source as the starter library writes it: "Title — https://… (checked on 2026-12-07)".
const SOURCE = /^(.*?) — (https:\/\/\S+)(?: \(checked on (\d{4}-\d{2}-\d{2})\))?$/;

/** The sources, each a link to its page (the title as its text, the day it was checked
 * beside it); a source written otherwise stays as written. */
function sourcesList(sources) {
  if (!sources.length) return null;
  return el(
    "ul",
    { class: "canned-sources muted" },
    sources.map((source) => {
      const match = SOURCE.exec(source);
      if (!match) return el("li", {}, source);
      const [, title, url, day] = match;
      return el(
        "li",
        {},
        el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, title),
        day ? ` (${t("canned.source_checked", { date: day })})` : null,
      );
    }),
  );
}

// -- the review -----------------------------------------------------------------------------

/** Which version this is, whether it was reviewed (by whom, when), and for the
 * coordinator the button that marks the version on screen reviewed, or withdraws it. */
function reviewCell(reply) {
  const { review } = reply;
  const said = review ? { version: review.version, by: review.by || "?", date: dateText(review.at) } : null;
  const lines = reply.reviewed
    ? [el("p", { class: "canned-reviewed" }, t("canned.reviewed_by", said))]
    : [
        el("p", {}, el("span", { class: "badge badge-warn" }, t("canned.unreviewed")), " ", t("canned.version", { version: reply.version })),
        said ? el("p", { class: "muted small" }, t("canned.reviewed_before", said)) : null,
      ];
  if (canEdit) {
    lines.push(
      reply.reviewed
        ? el("button", { type: "button", class: "button small", onclick: () => reviewWithdraw(reply) }, t("canned.review_withdraw"))
        : el("button", { type: "button", class: "button small", onclick: () => reviewMark(reply) }, t("canned.review_mark", { version: reply.version })),
    );
  }
  return lines;
}

async function reviewMark(reply) {
  if (!confirm(t("canned.review_confirm", { shortcut: reply.shortcut, version: reply.version }))) return;
  try {
    await api(`/canned/${reply.id}/review`, { method: "POST", body: { version: reply.version } });
    statusSay(t("canned.review_marked", { shortcut: reply.shortcut, version: reply.version }));
  } catch (error) {
    statusSay(error.message, "error");
  }
  await load();
}

async function reviewWithdraw(reply) {
  try {
    await api(`/canned/${reply.id}/review`, { method: "DELETE" });
    statusSay(t("canned.review_withdrawn", { shortcut: reply.shortcut }));
  } catch (error) {
    statusSay(error.message, "error");
  }
  await load();
}

// -- the editor -----------------------------------------------------------------------------

function textsRender(reply) {
  const languages = state.library.languages;
  replaceChildren(
    byId("canned-texts"),
    languages.map((code) => {
      const text = reply?.texts[code];
      return el(
        "fieldset",
        { class: "canned-text", dataset: { language: code } },
        el("legend", {}, languageLabel(code)),
        el("label", { for: `text-${code}-title` }, t("canned.title_in", { language: languageName(code) })),
        el("input", { type: "text", id: `text-${code}-title`, maxlength: "120", value: text?.title ?? "", lang: code }),
        el("label", { for: `text-${code}-body` }, t("canned.text_in", { language: languageName(code) })),
        el("textarea", { id: `text-${code}-body`, rows: "4", maxlength: "3000", lang: code, placeholder: t("canned.empty_text"), "aria-describedby": `text-${code}-error` }, text?.body ?? ""),
        el("span", { class: "field-error", id: `text-${code}-error`, hidden: true }),
      );
    }),
  );
}

function edit(reply) {
  state.editing = reply;
  byId("editor-title").textContent = t("canned.change", { shortcut: reply.shortcut });
  byId("canned-shortcut").value = reply.shortcut;
  byId("canned-title").value = reply.title;
  byId("canned-tags").value = reply.tags.join(", ");
  byId("canned-sources").value = reply.sources.join("\n");
  textsRender(reply);
  errorsClear();
  byId("canned-shortcut").focus();
}

function editorReset() {
  state.editing = null;
  byId("canned-form").reset();
  byId("editor-title").textContent = t("canned.new");
  textsRender(null);
  errorsClear();
}

function errorsClear() {
  for (const node of root.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
}

function errorsShow(problems) {
  errorsClear();
  for (const { field, message } of problems) {
    const [head, language, part] = field.split(".");
    const id = head === "texts" && language ? `text-${language}-error` : `canned-${head}-error`;
    const node = document.getElementById(id) ?? byId("canned-texts-error");
    node.textContent = part === "title" ? `${message}` : message;
    node.hidden = false;
  }
  root.querySelector(".field-error:not([hidden])")?.previousElementSibling?.focus();
}

function formBody() {
  const texts = {};
  for (const code of state.library.languages) {
    const body = byId(`text-${code}-body`).value.trim();
    const title = byId(`text-${code}-title`).value.trim();
    if (body) texts[code] = { body, title };
    else if (state.editing?.texts[code]) texts[code] = null; // emptied: that language goes
  }
  return {
    shortcut: byId("canned-shortcut").value,
    title: byId("canned-title").value,
    tags: byId("canned-tags").value.split(",").map((tag) => tag.trim()).filter(Boolean),
    sources: byId("canned-sources").value.split("\n").map((line) => line.trim()).filter(Boolean),
    texts,
  };
}

async function save(event) {
  event.preventDefault();
  const body = formBody();
  try {
    let saved;
    if (state.editing) {
      saved = await api(`/canned/${state.editing.id}`, { method: "PATCH", body });
    } else {
      body.texts = Object.fromEntries(Object.entries(body.texts).filter(([, text]) => text));
      saved = await api("/canned", { method: "POST", body });
    }
    statusSay(t("canned.saved", { shortcut: saved.shortcut }));
    editorReset();
    await load();
  } catch (error) {
    if (error instanceof ApiError && error.problems) errorsShow(error.problems);
    statusSay(error.message, "error");
  }
}

async function remove(reply) {
  if (!confirm(t("canned.delete_confirm", { shortcut: reply.shortcut }))) return;
  try {
    await api(`/canned/${reply.id}`, { method: "DELETE" });
    statusSay(t("canned.deleted", { shortcut: reply.shortcut }));
    if (state.editing?.id === reply.id) editorReset();
    await load();
  } catch (error) {
    statusSay(error.message, "error");
  }
}

// -- variables ------------------------------------------------------------------------------

function variableRow(value = { name: "address", language: "", value: "" }) {
  const names = root.dataset.variables.split(",");
  const index = byId("variables-list").children.length;
  const item = el(
    "li",
    { class: "variable-row" },
    el("label", { for: `var-${index}-name`, class: "visually-hidden" }, t("canned.variable")),
    el("select", { id: `var-${index}-name`, class: "var-name" }, names.map((name) => el("option", { value: name, selected: name === value.name }, `{${name}}`))),
    el("label", { for: `var-${index}-language`, class: "visually-hidden" }, t("canned.language")),
    el("select", { id: `var-${index}-language`, class: "var-language" },
      el("option", { value: "" }, t("canned.every_language")),
      state.library.languages.map((code) => el("option", { value: code, selected: code === value.language }, languageLabel(code)))),
    el("label", { for: `var-${index}-value`, class: "visually-hidden" }, t("canned.value")),
    el("input", { type: "text", id: `var-${index}-value`, class: "var-value", maxlength: "500", value: value.value }),
    el("button", { type: "button", class: "button small", onclick: () => item.remove() }, t("canned.remove")),
  );
  return item;
}

function variablesRender() {
  replaceChildren(byId("variables-list"), state.library.variables.values.map(variableRow));
}

async function variablesSave(event) {
  event.preventDefault();
  const variables = [...byId("variables-list").children].map((item) => ({
    name: item.querySelector(".var-name").value,
    language: item.querySelector(".var-language").value,
    value: item.querySelector(".var-value").value,
  }));
  const problem = byId("variables-error");
  const status = byId("variables-status");
  try {
    await api("/canned/variables", { method: "PUT", body: { variables } });
    problem.hidden = true;
    await load();
    // What is set now, said where the person is looking (the top of the page is far).
    const set = [...new Set(variables.filter((v) => v.value.trim()).map((v) => `{${v.name}}`))];
    status.className = "notice notice-ok";
    status.textContent = set.length
      ? t("canned.variables_saved", { names: set.join(", ") })
      : t("canned.variables_none");
    status.hidden = false;
  } catch (error) {
    status.hidden = true;
    problem.textContent = [error.message, ...(error.problems ?? []).map((p) => `${p.field}: ${p.message}`)].join(" ");
    problem.hidden = false;
  }
}

// -- import ---------------------------------------------------------------------------------

async function importFile(event) {
  event.preventDefault();
  const file = byId("import-file").files[0];
  const result = byId("import-result");
  if (!file) {
    replaceChildren(result, el("p", { class: "notice notice-error" }, t("canned.choose_file")));
    return;
  }
  const format = file.name.toLowerCase().endsWith(".csv") ? "csv" : "json";
  const replace = byId("import-replace").checked ? "&replace=1" : "";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const response = await fetch(`${API}/canned/import?format=${format}${replace}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf, "Content-Type": format === "csv" ? "text/csv" : "application/json" },
    body: await file.arrayBuffer(),
  });
  const data = await response.json().catch(() => ({}));
  if (response.ok) {
    replaceChildren(result, el("p", { class: "notice notice-ok" }, t("canned.imported", data)));
    await load();
    return;
  }
  const problems = (data.problems ?? []).map((p) =>
    el("li", {}, t("canned.problem_row", { row: p.row, shortcut: p.shortcut ? "/" + p.shortcut : "", field: p.field, message: p.message })),
  );
  replaceChildren(
    result,
    el("div", { class: "notice notice-error", role: "alert" }, el("p", {}, data.problems ? t("canned.import_problems") : (data.message ?? t("error.generic"))), el("ul", {}, problems)),
  );
}

// -- start ----------------------------------------------------------------------------------

byId("canned-filter").addEventListener("input", render);
if (canEdit) {
  byId("canned-form").addEventListener("submit", save);
  byId("canned-cancel").addEventListener("click", editorReset);
  byId("variables-form").addEventListener("submit", variablesSave);
  byId("variables-add").addEventListener("click", () => byId("variables-list").append(variableRow()));
  byId("import-form").addEventListener("submit", importFile);
}
load()
  .then(variableAsked)
  .catch((error) => statusSay(error.message, "error"));
