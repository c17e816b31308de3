// The return code in the page (docs/protocol.md §10): "Get a code to come
// back later" once the conversation exists, "I have a code" before. The code is made,
// shown and typed here only; what leaves the browser is a lookup id derived from it
// (chat/static/chat/protocol/return-code.js). The code is never stored: it stays in the
// page only while its panel is open.

import { t } from "./i18n.js";

// Written by the JS only (the page is rendered without them), filled from the catalogue.
const STRINGS = {
  "code-get": "code_get",
  "code-have": "code_have",
  "code-title": "code_title",
  "code-copy": "code_copy",
  "code-advice": "code_advice",
  "code-replace": "code_replace",
  "code-revoke": "code_revoke",
  "code-done": "code_done",
  "code-input-label": "code_input_label",
  "code-input-help": "code_input_help",
  "code-open": "code_open",
  "code-cancel": "code_cancel",
};
const ERROR_KEYS = { unauthorized: "code_unknown", rate_limited: "code_wait" };

let page = null; // what app.js gives: {session, protocol, baseUrl, language, announce,
//                  problem, onReopen}; `protocol()` resolves to the protocol module
let busy = false;

function byId(id) {
  return document.getElementById(id);
}

/** Wire the code area; `options` are callbacks into app.js. */
export function returnCodeWire(options) {
  if (!byId("code-area")) return;
  page = options;
  for (const [id, key] of Object.entries(STRINGS)) byId(id).dataset.i18n = key;
  byId("code-get").addEventListener("click", () => codeMake("code_ready"));
  byId("code-replace").addEventListener("click", () => codeMake("code_replaced"));
  byId("code-revoke").addEventListener("click", codeRevoke);
  byId("code-done").addEventListener("click", () => panelClose());
  byId("code-copy").addEventListener("click", codeCopy);
  byId("code-have").addEventListener("click", formToggle);
  byId("code-cancel").addEventListener("click", () => formClose());
  byId("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    codeOpen();
  });
}

/** "Get a code" once the conversation exists on the server, "I have a code" before. */
export function returnCodeOffer(conversationExists) {
  if (!page) return;
  byId("code-have").hidden = conversationExists;
  if (conversationExists) {
    formClose({ focus: false });
    byId("code-get").hidden = !byId("code-panel").hidden;
  } else {
    panelClose({ focus: false });
    byId("code-get").hidden = true;
  }
}

// --- getting a code ----------------------------------------------------------------

async function codeMake(doneKey) {
  const session = page.session();
  if (busy || !session?.conversationId) return;
  busy = true;
  try {
    const { returnCodeMake, codeDisplay } = await page.protocol();
    panelShow(codeDisplay(await returnCodeMake(session)));
    page.announce(t(doneKey));
  } catch {
    page.problem("code_error");
  } finally {
    busy = false;
  }
}

function panelShow(display) {
  byId("code-value").textContent = display;
  byId("code-panel").hidden = false;
  byId("code-get").hidden = true;
  byId("code-title").focus();
}

function panelClose({ focus = true } = {}) {
  const panel = byId("code-panel");
  if (panel.hidden) return;
  panel.hidden = true;
  byId("code-value").textContent = ""; // the code leaves the page
  const get = byId("code-get");
  get.hidden = false;
  if (focus) get.focus();
}

async function codeRevoke() {
  const session = page.session();
  if (busy || !session?.conversationId) return;
  busy = true;
  try {
    const { returnCodeRevoke } = await page.protocol();
    await returnCodeRevoke(session);
    panelClose();
    page.announce(t("code_revoked"));
  } catch {
    page.problem("code_error");
  } finally {
    busy = false;
  }
}

async function codeCopy() {
  const value = byId("code-value");
  try {
    await navigator.clipboard.writeText(value.textContent);
    page.announce(t("code_copied"));
  } catch {
    // No clipboard (an old browser, a refused permission): select it for a manual copy.
    getSelection().selectAllChildren(value);
  }
}

// --- coming back with a code ---------------------------------------------------------

function formToggle() {
  if (byId("code-form").hidden) formOpen();
  else formClose();
}

function formOpen() {
  byId("code-form").hidden = false;
  byId("code-have").setAttribute("aria-expanded", "true");
  byId("code-input").focus();
}

function formClose({ focus = true } = {}) {
  const form = byId("code-form");
  if (form.hidden) return;
  form.hidden = true;
  byId("code-input").value = "";
  formProblem(null);
  const have = byId("code-have");
  have.setAttribute("aria-expanded", "false");
  if (focus && !have.hidden) have.focus();
}

function formProblem(key) {
  const line = byId("code-problem");
  line.hidden = key === null;
  if (key === null) {
    delete line.dataset.i18n;
    line.textContent = "";
  } else {
    line.dataset.i18n = key;
    line.textContent = t(key);
  }
}

/** Typos are caught here (the check digit); only a well-formed code is looked up. */
async function codeOpen() {
  const input = byId("code-input");
  if (busy) return;
  busy = true;
  formProblem(null);
  try {
    const { returnCodeOpen } = await page.protocol();
    const state = await returnCodeOpen({
      baseUrl: page.baseUrl(),
      code: input.value,
      language: page.language(),
    });
    await page.onReopen(state);
    formClose({ focus: false });
  } catch (error) {
    formProblem(error?.name === "CodeInvalid" ? "code_typo" : (ERROR_KEYS[error?.code] ?? "code_error"));
    input.focus();
  } finally {
    busy = false;
  }
}
