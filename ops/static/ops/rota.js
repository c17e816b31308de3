/**
 * The coordinator's rota page (/staff/rota/): weekly slots, one-off shifts, closures, and
 * each staff member's languages, skills and capacity, through the rota API
 * (ops/api_rota.py). Plain tables and forms; what the API refuses is said next to the
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

function hoursText(entry) {
  const overnight = entry.end <= entry.start ? ` ${t("rota.next_day")}` : "";
  return `${entry.start}–${entry.end}${overnight}`;
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

function render() {
  replaceChildren(
    byId("slots-body"),
    state.slots.map((slot) => {
      const what = `${weekdayName(slot.weekday)} ${hoursText(slot)} ${slot.label}`;
      return el(
        "tr",
        { dataset: { id: String(slot.id) } },
        el("td", {}, weekdayName(slot.weekday)),
        el("td", { class: "nowrap" }, hoursText(slot)),
        el("td", {}, slot.label),
        el("td", {}, skillText(slot.skill)),
        el("td", { class: slot.staff.length ? "" : "warn" }, staffText(slot.staff)),
        rowActions("slot", slot, what),
      );
    }),
  );
  byId("slots-empty").hidden = state.slots.length > 0;

  replaceChildren(
    byId("shifts-body"),
    state.shifts.map((shift) => {
      const what = `${dateText(shift.date)} ${hoursText(shift)} ${shift.label}`;
      return el(
        "tr",
        { dataset: { id: String(shift.id) } },
        el("td", {}, dateText(shift.date)),
        el("td", { class: "nowrap" }, hoursText(shift)),
        el("td", {}, shift.label),
        el("td", {}, skillText(shift.skill)),
        el("td", { class: shift.staff.length ? "" : "warn" }, staffText(shift.staff)),
        rowActions("shift", shift, what),
      );
    }),
  );
  byId("shifts-empty").hidden = state.shifts.length > 0;

  replaceChildren(
    byId("closures-body"),
    state.closures.map((closure) => {
      const what = `${closure.reason} (${dateText(closure.start_date)})`;
      return el(
        "tr",
        { dataset: { id: String(closure.id) } },
        el("td", {}, dateText(closure.start_date)),
        el("td", {}, dateText(closure.end_date)),
        el("td", {}, closure.reason),
        rowActions("closure", closure, what),
      );
    }),
  );
  byId("closures-empty").hidden = state.closures.length > 0;

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
    if (id === null) await api(path, { method: "POST", body: formValues(kind) });
    else await api(`${path}/${id}`, { method: "PATCH", body: formValues(kind) });
    formReset(kind);
    await load();
    status(t("rota.saved"));
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
    status(t("rota.deleted"));
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
    await api(`/staff/${member.user_id}`, { method: "PATCH", body });
    await load();
    status(t("rota.saved"));
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
