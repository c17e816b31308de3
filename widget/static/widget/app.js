// The visitor's chat: wires the page (ui.js), its strings (i18n.js), what may be kept
// on the phone (store.js), the status line (status.js) and the protocol session
// (chat/static/chat/protocol/visitor.js, which does all the crypto).
//
// The page loads in two bundles (widget/bundle-src): this module and what it imports,
// then the protocol and its crypto, imported from config.protocol_module once this one
// runs. The composer is usable as soon as this module and the strings are in: what the
// visitor sends before the session is connected (or while the network is gone) waits
// in the outbox and leaves, in order, as soon as it can.

import { Attention } from "./attention.js";
import { HelplineNotice } from "./helpline.js";
import { cataloguesAt, languageName, languageUse, t } from "./i18n.js";
import { ChatUi } from "./ui.js";
import { stateForget, stateLoad, stateSave, storageWipe } from "./store.js";
import { statusLine } from "./status.js";
import { parentChannel } from "./parent.js";
import { returnCodeOffer, returnCodeWire } from "./return-code.js";
import { linkOpenedTell } from "./link-opened.js";
import { offlineForget } from "./pages/offline.js";
import { pushLanguageTell, pushWire } from "./push.js";

const config = JSON.parse(document.getElementById("widget-config").textContent);
cataloguesAt(config.catalogues);
const ui = new ChatUi(document);
const attention = new Attention(document);
const helpline = new HelplineNotice(ui.list, {
  timeZone: config.time_zone,
  announce: (text) => ui.announce(text),
  added: () => ui.arrived(),
});
const parent = parentChannel(config);
linkOpenedTell(config);

const EXIT_ESCAPE_WINDOW_MS = 1500;
// "Someone is writing": sent at most this often while the visitor types, and shown for
// this long after the team's last one (docs/protocol.md §6.5).
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 6000;
const EXIT_WIPE_WAIT_MS = 1000;
// Quick exit waits this long at most for the staff notice to leave.
const EXIT_TELL_WAIT_MS = 700;
// "Delete now": its strings come from the catalogue only.
const DELETE_STRINGS = {
  "delete-now": "delete_now",
  "delete-question": "delete_confirm",
  "delete-yes": "delete_yes",
  "delete-no": "delete_no",
};

const app = {
  session: null,
  status: "idle",
  delayed: false, // a send is being tried again (session.js onDelayed)
  remember: false,
  outbox: [], // [{key, text}] in the order typed
  flushing: false,
  localCount: 0,
  shownOrders: new Set(),
  delivered: 0, // highest order the staff said they received / read
  read: 0,
  lastStaffOrder: 0,
  readSent: 0,
  resuming: false,
  exiting: false,
  deleting: false, // "delete now" under way
  gone: false, // the conversation was just deleted; a new one is being set up
  ended: false, // the conversation cannot go on (the team blocked it)
  helplineStatus: null, // the last helpline.status
  route: null, // the last conversation.route: {state, ahead}
  lastFrom: null, // who wrote the newest message: "visitor", "staff" or null
  lastOwnOrder: 0,
  typing: null, // {sender, timer} while the team writes
  typingSentAt: 0,
  typingLater: null, // a "writing" to send when the interval is over
};

// --- start -------------------------------------------------------------------------

const languageReady = languageUse(config.language).catch(() => null);
const protocolReady = import(config.protocol_module);
// A failed import is told where the session starts; it is not an unhandled rejection.
protocolReady.catch(() => null);

ui.onSend(outboxAdd);
ui.textarea.addEventListener("input", typingTell);

exitWire();
languageSwitchWire();
menuWire();
rememberWire();
vibrateWire();
receiptsWire();
deleteWire();
// "Tell me on this phone when the team answers" (push.js).
const push = pushWire(config, {
  token: () => app.session?.token ?? null,
  language: () => document.documentElement.lang || config.language,
  announce: (text) => ui.announce(text),
});
returnCodeWire({
  session: () => app.session,
  protocol: () => protocolReady,
  baseUrl,
  language: () => config.language,
  announce: (text) => ui.announce(text),
  problem: (key) => ui.problemShow(key),
  onReopen: sessionReopen,
});

// The composer waits for the strings: what it shows (a message's mark, the status) is
// never a raw key.
languageReady.then(() => {
  ui.composerEnable();
  document.getElementById("more").disabled = false;
  policyShow();
  statusShow("connecting");
  sessionBegin();
});

async function sessionBegin() {
  let VisitorSession;
  try {
    ({ VisitorSession } = await protocolReady);
  } catch {
    ui.problemShow("error_generic");
    return;
  }
  const stored = await stateLoad().catch(() => null);
  if (stored) {
    app.remember = true;
    ui.remember.checked = true;
    app.resuming = true;
    try {
      // The whole conversation comes back through onMessage, own messages included.
      app.session = VisitorSession.fromState(stored, sessionOptions());
      await app.session.start();
      app.resuming = false;
      ui.noticeAdd("resumed", { afterIntro: true });
      ui.announce(t("announce_resumed"));
      deleteOffer();
      outboxFlush();
      return;
    } catch (error) {
      // Expired or deleted on the server (`unauthorized`), or a state this page cannot
      // use: it is worth nothing now, and a fresh conversation starts.
      app.resuming = false;
      try {
        app.session?.stop();
      } catch {
        // already stopped
      }
      app.session = null;
      await stateForget();
      app.remember = false;
      ui.remember.checked = false;
      const notice = errorCode(error) === "security" ? "error_security" : "resume_failed";
      ui.noticeAdd(notice, { afterIntro: true });
      if (errorCode(error) === "security") return;
    }
  }
  sessionFresh(VisitorSession);
  // Resolves once connected (the session itself retries while the network is away).
  try {
    await app.session.start();
  } catch (error) {
    errorShow(error);
    return;
  }
  outboxFlush();
}

/** A new conversation-to-be (opened by the first message). */
function sessionFresh(VisitorSession) {
  app.session = new VisitorSession({
    language: config.language,
    campaign: config.campaign,
    ...sessionOptions(),
  });
}

function sessionOptions() {
  return {
    baseUrl: baseUrl(),
    // Pinned by this page, never taken from stored state: a key the server made up is
    // refused even for a resumed conversation.
    adminFingerprint: hexBytes(config.admin_fingerprint),
    onMessage: messageShow,
    onStatus: statusShow,
    onReceipt: receiptShow,
    onError: errorShow,
    // A message the server could not store yet is sent again by itself: say so.
    onDelayed: (count) => {
      app.delayed = count > 0;
      lineRefresh();
    },
    // Open or closed, someone free or not: sent as soon as the socket connects, so a
    // visitor writing outside hours learns it before the first message.
    onHelplineStatus: helplineShow,
    // Deleted from another tab, or expired while the page was open.
    onDeleted: (deleted) => conversationGone(deleted.reason),
    // "An interpreter (Bulgarian) joined / left", from the signed commits.
    onCommit: interpreterShow,
    // Where the conversation stands with the team: waiting (and how many before),
    // taken, closed by the team.
    onRoute: routeShow,
    onTyping: typingShow,
    // A new conversation's proof of work, in a Web Worker as soon as the
    // socket connects: solved while the visitor types, so the first send does not wait.
    solvePow: (challenge) =>
      protocolReady.then(({ powSolverInWorker }) => powSolverInWorker(config.pow_worker)(challenge)),
    // Called once the conversation exists (on the first send): saved only if the
    // visitor asked for it.
    persist: () => statePersist(),
  };
}

function baseUrl() {
  // The page's own origin whenever the configured one is the same host: the browser
  // knows best whether it came over https (a proxy may have hidden it from Django).
  try {
    const configured = new URL(config.base_url);
    if (configured.host === location.host) return location.origin;
    return configured.origin;
  } catch {
    return location.origin;
  }
}

// --- sending -----------------------------------------------------------------------

function outboxAdd(text) {
  app.localCount += 1;
  const key = `local-${app.localCount}`;
  app.outbox.push({ key, text });
  ui.ownAdd(key, text, app.status === "open" ? "sending" : "queued");
  outboxFlush();
}

/** Sends what waits, one message at a time so they arrive in the order typed. The
 *  session waits for the connection and re-sends across reconnections by itself (the
 *  same envelope, so never twice); a rejection means this message cannot be sent. */
async function outboxFlush() {
  if (app.flushing || !app.session) return;
  app.flushing = true;
  try {
    while (app.outbox.length && app.session && !app.exiting) {
      const item = app.outbox[0];
      ui.markSet(item.key, app.status === "open" ? "sending" : "queued");
      let order;
      try {
        order = await app.session.sendText(item.text);
      } catch (error) {
        app.outbox.shift();
        if (app.exiting) return;
        ui.markSet(item.key, "failed");
        if (errorCode(error) !== "security") {
          ui.retryOffer(item.key, () => {
            app.outbox.push(item);
            outboxFlush();
          });
        }
        errorShow(error);
        continue;
      }
      app.outbox.shift();
      app.shownOrders.add(order);
      app.lastOwnOrder = Math.max(app.lastOwnOrder, order);
      // "Sent" on the status line once the server has it, as the message's own mark.
      if (order > app.lastStaffOrder) app.lastFrom = "visitor";
      ui.orderSet(item.key, order);
      ui.markSet(item.key, "sent");
      marksRefresh();
      deleteOffer();
      push.offer();
      lineRefresh();
    }
  } finally {
    app.flushing = false;
  }
}

// --- receiving ---------------------------------------------------------------------

function messageShow(message) {
  if (app.shownOrders.has(message.order)) return;
  app.shownOrders.add(message.order);
  const mine = message.mine ?? message.sender === "visitor";
  if (mine) {
    if (message.contentType === "text") {
      ui.ownRestore(message.order, message.text ?? "", markFor(message.order));
      app.lastOwnOrder = Math.max(app.lastOwnOrder, message.order);
      if (message.order > app.lastStaffOrder) app.lastFrom = "visitor";
    }
  } else if (message.contentType === "event") {
    eventApply(message);
  } else {
    const text = message.contentType === "text" ? message.text : null;
    ui.staffAdd({
      order: message.order,
      sender: message.sender,
      text: text ?? "",
      unsupported: text === null,
    });
    app.lastStaffOrder = Math.max(app.lastStaffOrder, message.order);
    if (message.order > app.lastOwnOrder) app.lastFrom = "staff";
    if (app.typing?.sender === message.sender) typingEnd();
    if (!app.resuming) attention.replied();
    if (document.visibilityState === "visible") readReceiptSend();
    else deliveredReceiptSend(message.order);
  }
  lineRefresh();
}

function interpreterShow(commit) {
  for (const change of commit.changes) {
    const joined = change.change === "joined";
    // Their messages say "Interpreter", whatever their profile label (it stays so for
    // what they wrote after they left).
    if (joined) ui.interpreterSet(change.deviceId);
    const key = joined ? "interpreter_joined" : "interpreter_left";
    ui.noticeAdd(key, { language: change.language });
    ui.announce(t(key, { language: languageName(change.language) }));
  }
}

function eventApply(message) {
  let event = message.event;
  if (event === undefined) {
    try {
      event = JSON.parse(new TextDecoder().decode(message.content));
    } catch {
      return;
    }
  }
  if (event?.kind === "profile" && typeof event.label === "string") {
    const label = event.label.trim().slice(0, 64);
    // A role from the protocol's list is shown in the visitor's language (ui.js).
    const role = typeof event.role === "string" && /^[a-z_]{1,32}$/.test(event.role) ? event.role : null;
    if (label) ui.labelSet(message.sender, label, role);
  }
  // Other kinds are for other clients: ignored (docs/protocol.md §6.2).
}

// --- where things stand ---------------------------------------------------------------

function routeShow(route) {
  app.route = route;
  lineRefresh();
}

/** The status line, again, from everything the page knows (status.js). */
function lineRefresh() {
  let connection = app.status === "idle" ? "connecting" : app.status;
  if (connection !== "open" && connection !== "closed" && navigator.onLine === false) {
    connection = "offline";
  }
  const line = statusLine({
    connection,
    ended: app.ended,
    helpline: app.helplineStatus,
    nextOpening: helpline.nextOpeningWhen(),
    route: app.route,
    lastFrom: app.lastFrom,
    readByTeam: app.lastFrom === "visitor" && app.lastOwnOrder > 0 && app.read >= app.lastOwnOrder,
    typing: app.typing ? ui.labelFor(app.typing.sender) : null,
    delayed: app.delayed,
  });
  ui.statusShow(connection, line);
}

// --- someone is writing ---------------------------------------------------------------

/** The visitor types: the team sees "the visitor is writing" (once the conversation
 *  exists; never more often than every few seconds; content-free). */
function typingTell() {
  const session = app.session;
  if (!session?.conversationId || app.status !== "open" || !ui.textarea.value.trim()) return;
  const wait = app.typingSentAt + TYPING_SEND_EVERY_MS - Date.now();
  if (wait > 0) {
    // Typing on within the interval: told once it is over, if still typing then.
    app.typingLater ??= setTimeout(() => {
      app.typingLater = null;
      typingTell();
    }, wait);
    return;
  }
  app.typingSentAt = Date.now();
  Promise.resolve(session.sendTyping?.()).catch(() => {});
}

/** Someone on the team writes: said on the status line until their message comes, or
 *  for a few seconds after their last "writing". */
function typingShow({ sender }) {
  clearTimeout(app.typing?.timer);
  app.typing = { sender, timer: setTimeout(typingEnd, TYPING_SHOWN_MS) };
  lineRefresh();
}

function typingEnd() {
  clearTimeout(app.typing?.timer);
  app.typing = null;
  lineRefresh();
}

function receiptShow(receipt) {
  if (receipt.by === "visitor") return; // our own receipts, fanned out back to us
  const before = { delivered: app.delivered, read: app.read };
  if (receipt.kind === "read") app.read = Math.max(app.read, receipt.order);
  app.delivered = Math.max(app.delivered, receipt.order); // read implies received
  marksRefresh();
  if (app.read > before.read) ui.announce(t("announce_read"));
  else if (app.delivered > before.delivered) ui.announce(t("announce_delivered"));
  lineRefresh();
}

function markFor(order) {
  if (order <= app.read) return "read";
  if (order <= app.delivered) return "delivered";
  return "sent";
}

function marksRefresh() {
  ui.marksUpTo(app.delivered, "delivered");
  ui.marksUpTo(app.read, "read");
}

/** Tells the staff the visitor has seen their messages: only while the page is
 *  visible, and only once per new message. */
function readReceiptSend() {
  if (document.visibilityState !== "visible" || !app.session) return;
  if (app.lastStaffOrder <= app.readSent || app.status !== "open") return;
  app.readSent = app.lastStaffOrder;
  Promise.resolve(app.session.markRead(app.lastStaffOrder)).catch(() => {
    app.readSent = 0;
  });
}

function deliveredReceiptSend(order) {
  Promise.resolve(app.session?.markDelivered(order)).catch(() => {});
}

function receiptsWire() {
  document.addEventListener("visibilitychange", readReceiptSend);
}

// --- status and errors -------------------------------------------------------------

function helplineShow(status) {
  app.helplineStatus = status;
  helpline.show(status);
  lineRefresh();
}

function statusShow(status) {
  if (app.resuming && status === "closed") return; // a resume that failed: a new session follows
  app.status = status;
  lineRefresh();
  if (status === "open") {
    if (ui.problemKey === "error_unavailable") ui.problemShow(null);
    outboxFlush();
    readReceiptSend();
  }
  // Status changes are sent to the outbox's waiting marks too.
  for (const item of app.outbox) ui.markSet(item.key, status === "open" ? "sending" : "queued");
}

window.addEventListener("offline", () => statusShow(app.status));
window.addEventListener("online", () => statusShow(app.status));

function errorCode(error) {
  if (!error) return "generic";
  if (typeof error.code === "string") return error.code;
  const name = error.name ?? "";
  if (/BadSignature|BadObject|CryptoError|Pin|Fingerprint/i.test(name)) return "security";
  return "generic";
}

function errorShow(error, context = {}) {
  // A stopped session rejects what was still waiting; why it stopped was said already.
  if (app.exiting || error?.name === "ConnectionLost") return;
  const code = errorCode(error);
  if (app.resuming && code === "unauthorized") return; // handled where the resume failed
  if (context.order !== undefined) {
    // One commit or message that did not verify: not shown, and the visitor is told.
    ui.noticeAdd("error_message_unreadable");
    return;
  }
  const key = {
    unavailable: "error_unavailable",
    security: "error_security",
    conversation_closed: "error_closed",
    // The token of a conversation that expired or was deleted while the page was open.
    unauthorized: "error_closed",
    rate_limited: "error_rate_limited",
    // The conversation wrote all it may today, or the helpline's storage is
    // full; the server says when to try again (`retry_after_ms`), shown in hours.
    quota_exceeded: "error_quota_exceeded",
  }[code];
  if (code === "conversation_closed" || code === "unauthorized") stateForget();
  if (ui.problemKey === "error_security") return; // nothing may hide this one
  const hours = Math.max(1, Math.ceil((error?.frame?.retry_after_ms ?? 0) / 3_600_000));
  ui.problemShow(key ?? "error_generic", code === "quota_exceeded" ? { hours } : {});
  if (code === "conversation_closed" || code === "unauthorized") {
    app.ended = true;
    statusShow("closed");
  }
}

// --- the Options panel -----------------------------------------------------------------

/** One button opens the secondary actions (keep on this phone, vibrate, the return
 *  code, delete): the footer stays one line and the composer. */
function menuWire() {
  const button = document.getElementById("more");
  const panel = document.getElementById("more-panel");
  button.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) panel.querySelector("input:not([disabled]), button:not([hidden])")?.focus();
  });
}

/** Vibrate when a reply comes while the page is in the background: off unless chosen,
 *  and forgotten with the page (attention.js). */
function vibrateWire() {
  const box = document.getElementById("vibrate");
  if (!box) return;
  document.getElementById("vibrate-label").dataset.i18n = "vibrate";
  if (!("vibrate" in navigator)) {
    document.getElementById("vibrate-area").hidden = true;
    return;
  }
  box.addEventListener("change", () => {
    attention.vibrate = box.checked;
    if (box.checked) navigator.vibrate(60); // what it will feel like; a tap allows it
  });
}

// --- staying signed in ---------------------------------------------------------------

function rememberWire() {
  ui.remember.addEventListener("change", async () => {
    app.remember = ui.remember.checked;
    if (app.remember) {
      await statePersist();
      ui.announce(t("remember_on"));
    } else {
      await stateForget();
      ui.announce(t("remember_off"));
    }
  });
}

/** Saves the session's state when the visitor asked for it; never otherwise. Before
 *  the conversation exists (it opens with the first message) there is nothing to save
 *  yet: the first send saves it. */
async function statePersist() {
  if (!app.remember || !app.session || app.exiting) return;
  try {
    const state = await app.session.exportState();
    if (state && app.remember && !app.exiting) await stateSave(state);
    // Unticked (or quick exit) while saving: what was just written goes too.
    if (!app.remember || app.exiting) await stateForget();
  } catch {
    if (app.remember) ui.problemShow("error_storage");
  }
}

// --- language ----------------------------------------------------------------------

function languageSwitchWire() {
  ui.language?.addEventListener("change", async () => {
    const language = ui.language.value;
    try {
      await languageUse(language);
    } catch {
      ui.language.value = config.language;
      return;
    }
    config.language = language;
    // Until the conversation is opened (first message), it opens in the new language.
    if (app.session && "language" in app.session) app.session.language = language;
    ui.retranslate();
    pushLanguageTell(language).catch(() => null);
    helpline.render();
    lineRefresh();
    // A reload keeps the choice; only this tab's history entry knows it.
    const url = new URL(location.href);
    url.searchParams.set("lang", language);
    history.replaceState(history.state, "", url);
  });
}

// --- quick exit --------------------------------------------------------------------

function exitWire() {
  const button = document.getElementById("quick-exit");
  button.addEventListener("click", (event) => {
    event.preventDefault();
    quickExit();
  });
  let lastEscape = 0;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const now = Date.now();
    if (now - lastEscape < EXIT_ESCAPE_WINDOW_MS) quickExit();
    lastEscape = now;
  });
  document.getElementById("minimise")?.addEventListener("click", () => parent?.post("close"));
  parent?.on("focus", () => ui.textarea.focus());
}

/** Hide everything at once, tell the staff (end-to-end encrypted, if a conversation
 *  is open: "the visitor left in a hurry"), forget the session and its keys, wipe what
 *  the phone may hold, and leave for a harmless page without leaving this one in the
 *  history. */
async function quickExit() {
  if (app.exiting) return;
  app.exiting = true;
  document.body.replaceChildren();
  attention.stop(); // no count in the title, no vibration, an empty title
  clearTimeout(app.typing?.timer);
  clearTimeout(app.typingLater);
  const session = app.session;
  app.session = null;
  app.outbox = [];
  const told = Promise.resolve()
    .then(() => session?.sendEvent?.({ kind: "quick_exit" }))
    .catch(() => null);
  await Promise.race([told, sleep(EXIT_TELL_WAIT_MS)]);
  const wipe = Promise.allSettled([
    push.forget(session?.token ?? null), // no phone told of anything any more
    Promise.resolve().then(() => session?.stop()),
    storageWipe(),
  ]);
  await Promise.race([wipe, sleep(EXIT_WIPE_WAIT_MS)]);
  // Only now: the partner page removes this frame (and its scripts) when it leaves.
  parent?.post("quick-exit", { exit_url: config.exit_url });
  location.replace(config.exit_path);
}

// --- how long it lasts, and deleting it now --------------------------------------

/** "This conversation disappears on its own after N days without messages." */
function policyShow() {
  if (!config.expiry_days || document.getElementById("expiry-policy")) return;
  ui.noticeAdd("expiry_policy", {
    afterIntro: true,
    values: { days: config.expiry_days },
    id: "expiry-policy",
  });
}

function deleteWire() {
  const area = document.getElementById("delete-area");
  if (!area) return;
  // Written by the JS only (the page is rendered without them): the catalogue fills
  // them once loaded, and again on a language switch.
  for (const [id, key] of Object.entries(DELETE_STRINGS)) {
    document.getElementById(id).dataset.i18n = key;
  }
  const ask = document.getElementById("delete-now");
  const confirm = document.getElementById("delete-confirm");
  ask.addEventListener("click", () => {
    ask.hidden = true;
    confirm.hidden = false;
    document.getElementById("delete-no").focus();
  });
  document.getElementById("delete-no").addEventListener("click", () => {
    confirm.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  document.getElementById("delete-yes").addEventListener("click", () => deleteNow());
}

/** The delete button shows once there is a conversation on the server to delete (and
 *  "get a code" replaces "I have a code"). */
function deleteOffer() {
  const area = document.getElementById("delete-area");
  if (area && app.session?.conversationId) area.hidden = false;
  returnCodeOffer(Boolean(app.session?.conversationId));
}

function deleteAreaReset() {
  returnCodeOffer(false);
  const area = document.getElementById("delete-area");
  if (!area) return;
  area.hidden = true;
  document.getElementById("delete-confirm").hidden = true;
  document.getElementById("delete-now").hidden = false;
}

async function deleteNow() {
  const session = app.session;
  if (!session || app.deleting) return;
  app.deleting = true;
  try {
    await session.deleteConversation();
  } catch (error) {
    app.deleting = false;
    // Already gone (expired meanwhile) is the same, for the visitor, as deleted.
    if (errorCode(error) !== "unauthorized") {
      ui.problemShow("error_delete");
      return;
    }
  }
  // Deleted means nothing of the helpline left on the phone: the pages' offline copy too.
  await offlineForget();
  await conversationGone("visitor");
}

/** The conversation is gone from the server: it leaves this page and this phone, and
 *  the next message starts a new one. */
async function conversationGone(reason) {
  if (app.exiting || app.gone) return;
  app.gone = true;
  // An empty conversation (nothing written, nothing received) is deleted by
  // the server after some minutes; a fresh one takes its place without a word.
  const empty = app.lastOwnOrder === 0 && app.shownOrders.size === 0 && !app.outbox.length;
  const old = app.session;
  app.session = null;
  try {
    old?.forget?.();
  } catch {
    // already stopped
  }
  await stateForget().catch(() => null);
  app.outbox = [];
  app.shownOrders = new Set();
  Object.assign(app, {
    delivered: 0,
    read: 0,
    lastStaffOrder: 0,
    readSent: 0,
    lastOwnOrder: 0,
    lastFrom: null,
    route: null,
  });
  typingEnd();
  ui.conversationClear();
  ui.problemShow(null);
  deleteAreaReset();
  const notice = reason === "visitor" ? "deleted" : "deleted_expired";
  if (reason === "visitor" || !empty) {
    ui.noticeAdd(notice);
    ui.announce(t(notice));
  }
  const { VisitorSession } = await protocolReady;
  sessionFresh(VisitorSession);
  app.deleting = false;
  app.gone = false;
  try {
    await app.session.start();
  } catch (error) {
    errorShow(error);
  }
}

// --- coming back with a return code (return-code.js) -------------------------------

/** A return code opened a conversation's state: it replaces this page's empty session
 *  and comes back whole (the backlog replays from the start, own messages included).
 *  If it cannot be resumed (blocked meanwhile), a fresh session takes its place again. */
async function sessionReopen(state) {
  const { VisitorSession } = await protocolReady;
  const empty = app.session;
  app.resuming = true; // the empty session's "closed" is not news for the visitor
  app.session = VisitorSession.fromState(state, sessionOptions());
  empty?.stop();
  try {
    await app.session.start();
  } catch (error) {
    app.session.stop();
    sessionFresh(VisitorSession);
    app.session.start().catch(errorShow);
    throw error;
  } finally {
    app.resuming = false;
  }
  ui.noticeAdd("resumed", { afterIntro: true });
  ui.announce(t("announce_resumed"));
  deleteOffer();
  statePersist();
  outboxFlush();
}

// --- small things ------------------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hexBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
