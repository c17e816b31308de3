/**
 * The coordinator's rota page (/staff/rota/): weekly slots, one-off shifts, closures, and
 * each staff member's languages, skills and capacity, through the rota API
 * (ops/rota/api.py). Plain tables and forms; what the API refuses is said next to the
 * field it names.
 * @module
 */

import { byId, el, replaceChildren } from "./elements.js";
import { ApiError, api } from "./http.js";
import { pageLanguage, t } from "./strings.js";

const SKILLS = ["minors", "trans", "health", "legal", "social"];
const root = byId("rota");

const state = {
  slots: [],
  shifts: [],
  closures: [],
  staff: [],
  editing: { slot: null, shift: null, closure: null }, // id of the entry in the form
};

// -- what the forms hold and where they go ------------------------------------------------

const KINDS = {
  slot: {
    path: "/rota/slots",
    list: "slots",
    fields: ["weekday", "start", "end", "label", "skill", "staff"],
  },
  shift: {
    path: "/rota/shifts",
    list: "shifts",
    fields: ["date", "start", "end", "label", "skill", "staff"],
  },
  closure: {
    path: "/rota/closures",
    list: "closures",
    fields: ["start_date", "end_date", "reason"],
  },
};

function weekdayName(weekday) {
  // 2024-01-01 was a Monday; the API counts Monday as 0.
  const day = new Date(Date.UTC(2024, 0, 1 + weekday));
  const format = new Intl.DateTimeFormat(pageLanguage(), { weekday: "long", timeZone: "UTC" });
  const name = format.format(day);
  return name[0].toLocaleUpperCase(pageLanguage()) + name.slice(1);
}

function dateText(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(pageLanguage(), {
    weekday: "short",
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, month - 1, day)));
}

function overnightNote(entry) {
  return entry.end <= entry.start ? ` ${t("rota.next_day")}` : "";
}

function hoursText(entry) {
  return `${entry.start}–${entry.end}${overnightNote(entry)}`;
}

/** The hours in a table cell: the times never break, an overnight note may (at 768 px
 *  an unbreakable "21:00–01:00 (le lendemain)" pushed the table out of its card). */
function hoursCell(entry) {
  const times = el("span", { class: "nowrap" }, `${entry.start}–${entry.end}`);
  return el("td", {}, times, overnightNote(entry));
}

function skillText(skill) {
  return skill ? t(`skill.${skill}`) : "—";
}

function staffName(userId) {
  return state.staff.find((member) => member.user_id === userId)?.name ?? `#${userId}`;
}

function staffText(ids) {
  return ids.length ? ids.map(staffName).join(", ") : t("rota.nobody");
}

/** What a saved entry is, in words: said after saving, so the coordinator reads back
 * what the helpline now has (and what it means for visitors). */
function savedText(kind, entry) {
  if (kind === "closure") {
    const values = { reason: entry.reason, start: dateText(entry.start_date), end: dateText(entry.end_date) };
    return { text: t("rota.saved_closure", values), kind: "ok" };
  }
  const when = kind === "slot" ? weekdayName(entry.weekday) : dateText(entry.date);
  const text = t(`rota.saved_${kind}`, { label: entry.label, when, hours: hoursText(entry) });
  // Nobody on it: it opens nothing for visitors, and that is worth a warning.
  if (!entry.staff.length) return { text: `${text} ${t("rota.saved_nobody")}`, kind: "warn" };
  return { text: `${text} ${t("rota.saved_with", { staff: staffText(entry.staff) })}`, kind: "ok" };
}

function status(text, kind = "ok") {
  const line = byId("rota-status");
  line.hidden = !text;
  line.textContent = text ?? "";
  line.className = `notice notice-${kind}`;
}

// -- loading -----------------------------------------------------------------------------

async function load() {
  root.setAttribute("aria-busy", "true");
  try {
    const [slots, shifts, closures, staff] = await Promise.all([
      api("/rota/slots"),
      api("/rota/shifts"),
      api("/rota/closures"),
      api("/staff"),
    ]);
    state.slots = slots.slots;
    state.shifts = shifts.shifts;
    state.closures = closures.closures;
    state.staff = staff.staff;
    render();
  } catch (error) {
    status(error.message || t("error.generic"), "error");
  } finally {
    root.setAttribute("aria-busy", "false");
  }
}

// -- tables ------------------------------------------------------------------------------

function rowActions(kind, entry, what) {
  return el(
    "td",
    { class: "row-actions" },
    el(
      "button",
      {
        type: "button",
        class: "button small",
        "aria-label": t("rota.edit_label", { what }),
        onclick: () => formEdit(kind, entry),
      },
      t("rota.edit"),
    ),
    el(
      "button",
      {
        type: "button",
        class: "button small danger",
        "aria-label": t("rota.delete_label", { what }),
        onclick: () => entryDelete(kind, entry, what),
      },
      t("rota.delete"),
    ),
  );
}

// One table of entries: a row each (its cells, then edit and delete buttons that name
// it), and the "none yet" line when there is none.
function tableRender(kind, entries, rowOf) {
  replaceChildren(
    byId(`${kind}s-body`),
    entries.map((entry) => {
      const { cells, what } = rowOf(entry);
      return el(
        "tr",
        { dataset: { id: String(entry.id) } },
        ...cells,
        rowActions(kind, entry, what),
      );
    }),
  );
  byId(`${kind}s-empty`).hidden = entries.length > 0;
}

// A weekly slot or a one-off shift: the same columns after the first, its day.
function entryRow(entry, day) {
  return {
    cells: [
      el("td", {}, day),
      hoursCell(entry),
      el("td", {}, entry.label),
      el("td", {}, skillText(entry.skill)),
      el("td", { class: entry.staff.length ? "" : "warn" }, staffText(entry.staff)),
    ],
    what: `${day} ${hoursText(entry)} ${entry.label}`,
  };
}

function render() {
  tableRender("slot", state.slots, (slot) => entryRow(slot, weekdayName(slot.weekday)));
  tableRender("shift", state.shifts, (shift) => entryRow(shift, dateText(shift.date)));
  tableRender("closure", state.closures, (closure) => ({
    cells: [
      el("td", {}, dateText(closure.start_date)),
      el("td", {}, dateText(closure.end_date)),
      el("td", {}, closure.reason),
    ],
    what: `${closure.reason} (${dateText(closure.start_date)})`,
  }));

  replaceChildren(byId("staff-body"), state.staff.map(staffRow));
  for (const form of document.querySelectorAll(".rota-form")) staffChoicesRender(form);
}

// -- the forms ---------------------------------------------------------------------------

function formOf(kind) {
  return byId(`${kind}-form`);
}

function fieldInput(kind, name) {
  return document.getElementById(`${kind}-${name}`);
}

function staffChoicesRender(form) {
  const box = form.querySelector(".staff-choices");
  if (!box) return;
  const kind = form.dataset.kind;
  const checked = new Set(
    [...box.querySelectorAll("input:checked")].map((input) => Number(input.value)),
  );
  replaceChildren(
    box,
    state.staff.map((member) => {
      const id = `${kind}-staff-${member.user_id}`;
      return el(
        "span",
        { class: "staff-choice" },
        el("input", {
          type: "checkbox",
          id,
          name: "staff",
          value: String(member.user_id),
          checked: checked.has(member.user_id),
        }),
        el("label", { for: id }, member.name, el("span", { class: "muted" }, ` · ${member.label}`)),
      );
    }),
  );
}

function formSetup() {
  for (const select of document.querySelectorAll(".skill-select")) {
    replaceChildren(
      select,
      el("option", { value: "" }, t("skill.none")),
      SKILLS.map((skill) => el("option", { value: skill }, t(`skill.${skill}`))),
    );
  }
  replaceChildren(
    byId("slot-weekday"),
    [0, 1, 2, 3, 4, 5, 6].map((day) => el("option", { value: String(day) }, weekdayName(day))),
  );
  for (const kind of Object.keys(KINDS)) {
    const form = formOf(kind);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      formSubmit(kind);
    });
    form.querySelector(".form-cancel").addEventListener("click", () => formReset(kind));
  }
}

function formValues(kind) {
  const body = {};
  for (const name of KINDS[kind].fields) {
    if (name === "staff") {
      body.staff = [...formOf(kind).querySelectorAll("input[name=staff]:checked")].map((input) =>
        Number(input.value),
      );
    } else if (name === "weekday") {
      body.weekday = Number(fieldInput(kind, name).value);
    } else {
      body[name] = fieldInput(kind, name).value.trim();
    }
  }
  return body;
}

function formEdit(kind, entry) {
  formReset(kind);
  state.editing[kind] = entry.id;
  for (const name of KINDS[kind].fields) {
    if (name === "staff") {
      for (const input of formOf(kind).querySelectorAll("input[name=staff]")) {
        input.checked = entry.staff.includes(Number(input.value));
      }
    } else {
      fieldInput(kind, name).value = String(entry[name] ?? "");
    }
  }
  formMode(kind);
  fieldInput(kind, KINDS[kind].fields[0]).focus();
}

function formReset(kind) {
  const form = formOf(kind);
  form.reset();
  state.editing[kind] = null;
  errorsClear(kind);
  formMode(kind);
}

/** "Add …" or "Save …" depending on whether the form edits an entry. */
function formMode(kind) {
  const form = formOf(kind);
  const mode = state.editing[kind] === null ? "new" : "edit";
  const title = byId(`${kind}-form-title`);
  title.textContent = title.dataset[mode];
  const submit = form.querySelector("button[type=submit]");
  submit.textContent = submit.dataset[mode];
  form.querySelector(".form-cancel").hidden = mode === "new";
  form.dataset.mode = mode;
}

function errorsClear(kind) {
  const form = formOf(kind);
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  form.querySelector(".form-error").hidden = true;
}

/**
 * The field a refusal is about: the API's `$.field` path in its detail (a body that
 * does not parse), or what a rota rule names. Null when it is about the whole entry.
 */
export function errorField(error, fields) {
  const detail = error?.detail ?? "";
  const path = detail.match(/\$\.(\w+)/);
  if (path && fields.includes(path[1])) return path[1];
  if (error?.code === "rota_invalid") {
    if (/start and end/.test(detail) && fields.includes("end")) return "end";
    if (/staff/.test(detail) && fields.includes("staff")) return "staff";
    if (/ends on or after/.test(detail)) return "end_date";
    if (/exists already/.test(detail)) return "start_date";
  }
  return null;
}

function errorShow(kind, error) {
  const fields = KINDS[kind].fields;
  const field = errorField(error, fields);
  const form = formOf(kind);
  if (field === null) {
    const box = form.querySelector(".form-error");
    box.textContent = error.message || t("error.generic");
    box.hidden = false;
    return;
  }
  const node = byId(`${kind}-${field}-error`);
  // The API's own (translated) message, and what this field needs, in this language.
  const own = error.message && error.code === "rota_invalid" ? error.message + " " : "";
  node.textContent = own + t(`rota.invalid.${field}`);
  node.hidden = false;
  const input = fieldInput(kind, field);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    form.querySelector(".staff-picker input")?.focus();
  }
}

async function formSubmit(kind) {
  errorsClear(kind);
  const form = formOf(kind);
  const submit = form.querySelector("button[type=submit]");
  const id = state.editing[kind];
  const { path } = KINDS[kind];
  submit.disabled = true;
  status(t("rota.working"), "info");
  try {
    const saved =
      id === null
        ? await api(path, { method: "POST", body: formValues(kind) })
        : await api(`${path}/${id}`, { method: "PATCH", body: formValues(kind) });
    formReset(kind);
    await load();
    const said = savedText(kind, saved);
    status(said.text, said.kind);
  } catch (error) {
    status(null);
    if (!(error instanceof ApiError)) throw error;
    errorShow(kind, error);
  } finally {
    submit.disabled = false;
  }
}

async function entryDelete(kind, entry, what) {
  if (!window.confirm(t("rota.delete_confirm", { what }))) return;
  try {
    await api(`${KINDS[kind].path}/${entry.id}`, { method: "DELETE" });
    if (state.editing[kind] === entry.id) formReset(kind);
    await load();
    status(t("rota.deleted", { what }));
  } catch (error) {
    status(error.message || t("error.generic"), "error");
  }
}

// -- staff -------------------------------------------------------------------------------

function staffRow(member) {
  const prefix = `staff-${member.user_id}`;
  const name = member.name;
  const languages = el("input", {
    type: "text",
    id: `${prefix}-languages`,
    value: (member.languages ?? []).join(", "),
    "aria-label": t("rota.languages_label", { name }),
    "aria-describedby": `${prefix}-error`,
    size: "12",
    autocomplete: "off",
  });
  const skills = el(
    "fieldset",
    { class: "skills-picker", "aria-label": t("rota.skills_label", { name }) },
    SKILLS.map((skill) => {
      const id = `${prefix}-skill-${skill}`;
      return el(
        "span",
        { class: "staff-choice" },
        el("input", {
          type: "checkbox",
          id,
          value: skill,
          checked: (member.skills ?? []).includes(skill),
        }),
        el("label", { for: id }, t(`skill.${skill}`)),
      );
    }),
  );
  const capacity = el("input", {
    type: "number",
    id: `${prefix}-capacity`,
    min: "0",
    max: "50",
    value: String(member.capacity ?? 0),
    "aria-label": t("rota.capacity_label", { name }),
    "aria-describedby": `${prefix}-error`,
    class: "capacity-input",
  });
  const error = el("span", { class: "field-error", id: `${prefix}-error`, hidden: true });
  const save = el(
    "button",
    {
      type: "button",
      class: "button small",
      "aria-label": t("rota.save_label", { name }),
      onclick: () => staffSave(member, { languages, skills, capacity, error }),
    },
    t("rota.save"),
  );
  return el(
    "tr",
    { dataset: { userId: String(member.user_id) } },
    el("th", { scope: "row" }, name, el("span", { class: "device-detail muted" }, member.label)),
    el("td", {}, languages),
    el("td", {}, skills),
    el("td", {}, capacity),
    el("td", { class: "row-actions" }, save, error),
  );
}

async function staffSave(member, { languages, skills, capacity, error }) {
  error.hidden = true;
  for (const input of [languages, capacity]) input.removeAttribute("aria-invalid");
  const body = {
    languages: languages.value
      .split(/[\s,;]+/)
      .map((code) => code.trim())
      .filter(Boolean),
    skills: [...skills.querySelectorAll("input:checked")].map((input) => input.value),
    capacity: Number(capacity.value),
  };
  try {
    const saved = await api(`/staff/${member.user_id}`, { method: "PATCH", body });
    await load();
    status(
      t("rota.saved_member", {
        name: saved.name,
        languages: saved.languages.join(", ") || "—",
        skills: saved.skills.map((skill) => t(`skill.${skill}`)).join(", ") || "—",
        capacity: saved.capacity,
      }),
    );
  } catch (problem) {
    if (!(problem instanceof ApiError)) throw problem;
    const field = errorField(problem, ["languages", "skills", "capacity"]);
    error.textContent = field ? t(`rota.invalid.${field}`) : problem.message;
    error.hidden = false;
    const input = field === "languages" ? languages : field === "capacity" ? capacity : null;
    input?.setAttribute("aria-invalid", "true");
    input?.focus();
  }
}

formSetup();
for (const kind of Object.keys(KINDS)) formMode(kind);
load();
