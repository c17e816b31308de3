/**
 * The coordinator's setup page (/staff/setup/): the admin key (create with its backup,
 * or load it from the backup), device certificates, and the team key. Ceremonies are in
 * ceremonies.js and admin-backup.js; this module holds the page's state and its DOM.
 * @module
 */

import { b64decode, b64encode, fingerprintDisplay } from "../chat/crypto/index.js";
import { fromWireForm } from "../chat/protocol/wire.js";
import {
  BACKUP_FILENAME,
  BadBackupFile,
  BadPassphrase,
  adminKeyCreate,
  adminKeyOpen,
  backupDownloadUrl,
} from "./admin-backup.js";
import {
  adminMatches,
  deviceCertify,
  deviceRevoke,
  teamKeyCreate,
  teamKeyRewrap,
  trustedAdminPk,
} from "./ceremonies.js";
import { deviceFingerprint, deviceStatus } from "./device.js";
import { wrapTargetListed } from "./wrap-keys.js";
import { deviceRecordGet } from "./device-store.js";
import { byId, el, fingerprintShow, replaceChildren } from "./elements.js";
import { api } from "./http.js";
import { MIN_LENGTH, passphraseStrength } from "./passphrase.js";
import { pageLanguage, t } from "./strings.js";

const REFRESH_SECONDS = 20;
const NEEDS_CERTIFICATE = new Set(["pending", "expired", "invalid"]);

const root = byId("setup");
const state = {
  owner: root.dataset.owner,
  data: null, // GET /staff/api/setup, bytes decoded
  admin: null, // {pair, publicKey, fingerprint}: the loaded admin key, memory only
  created: null, // a new admin key not installed yet: {..., url, replace}
  record: null, // this browser's device (IndexedDB), or null
  own: null, // deviceStatus() of that device
  busy: false,
  fingerprints: new Map(), // device id → short fingerprint text
};

// -- loading --------------------------------------------------------------------------

function setupDecode(data) {
  const decoded = fromWireForm({ ...data, admin_key: null });
  decoded.admin_key = data.admin_key
    ? {
        publicKey: b64decode(data.admin_key.public_key),
        fingerprint: b64decode(data.admin_key.fingerprint),
      }
    : null;
  return decoded;
}

async function refresh() {
  state.data = setupDecode(await api("/setup"));
  state.record = await deviceRecordGet(state.owner);
  state.own = null;
  if (state.record !== null) {
    try {
      state.own = await deviceStatus(state.record.deviceId);
    } catch {
      state.own = null; // a device record of an earlier database: ignore it here
    }
  }
  for (const device of state.data.devices) {
    if (!state.fingerprints.has(device.device_id)) {
      state.fingerprints.set(device.device_id, await deviceFingerprint(device.kem_pk, device.sig_pk));
    }
  }
  render();
}

/**
 * Run one action with the page marked busy, then say what it did in the status line.
 * `success` is the text, or a function of the action's result called once the page has
 * its fresh state, returning the text or `{text, kind}` ("ok", or "warn" when part of
 * it could not be done: the text says what, why and what to do next).
 */
async function act(action, success) {
  if (state.busy) return;
  state.busy = true;
  setStatus(t("setup.working"), "info");
  renderBusy();
  let result;
  let failed = false;
  try {
    result = await action();
  } catch (error) {
    failed = true;
    setStatus(errorText(error), "error");
  }
  state.busy = false;
  try {
    await refresh();
  } catch (error) {
    failed = true;
    setStatus(errorText(error), "error");
  }
  if (!failed) {
    const said = typeof success === "function" ? success(result) : success;
    const { text, kind = "ok" } = typeof said === "string" ? { text: said } : said;
    setStatus(text, kind);
  }
  renderBusy();
}

function errorText(error) {
  if (error instanceof BadPassphrase) return t("setup.bad_passphrase");
  if (error instanceof BadBackupFile) return t("setup.bad_backup");
  if (error?.name === "ApiError") return error.message;
  return t("error.generic") + (error?.message ? ` (${error.message})` : "");
}

function setStatus(text, kind) {
  const status = byId("setup-status");
  status.textContent = text;
  status.className = `notice notice-${kind}`;
  status.hidden = !text;
}

// -- the admin key ----------------------------------------------------------------------

function adminLoaded() {
  return state.data?.admin_key && adminMatches(state.admin, state.data.admin_key.publicKey);
}

function renderAdmin() {
  const server = state.data.admin_key;
  const replacing = byId("admin-replace-confirm").checked;
  byId("admin-none").hidden = server !== null || state.created !== null;
  byId("admin-present").hidden = server === null || state.created !== null;
  byId("admin-backup").hidden = state.created === null;
  byId("admin-create-form").hidden = state.created !== null || (server !== null && !replacing);
  byId("admin-create-title").textContent =
    server === null ? t("setup.admin_create") : t("setup.admin_replace");
  if (server !== null) {
    fingerprintShow(byId("admin-fingerprint"), fingerprintDisplay(server.fingerprint));
    byId("admin-locked").hidden = adminLoaded();
    byId("admin-unlocked").hidden = !adminLoaded();
  }
  if (state.created !== null) {
    byId("admin-new-key-fingerprint").textContent = fingerprintDisplay(state.created.fingerprint);
    byId("admin-backup-link").href = state.created.url;
  }
}

function renderStrength() {
  const strength = passphraseStrength(byId("admin-passphrase").value);
  const meter = byId("admin-passphrase-strength");
  meter.dataset.strength = strength;
  meter.textContent = byId("admin-passphrase").value ? t(`strength.${strength}`) : "";
}

async function adminCreate(event) {
  event.preventDefault();
  const passphrase = byId("admin-passphrase").value;
  const again = byId("admin-passphrase-confirm").value;
  const problem = byId("admin-create-error");
  problem.hidden = true;
  const strength = passphraseStrength(passphrase);
  let complaint = null;
  if (passphrase.length < MIN_LENGTH) complaint = t("setup.passphrase_short", { n: MIN_LENGTH });
  else if (strength === "weak") complaint = t("setup.passphrase_weak");
  else if (passphrase !== again) complaint = t("setup.passphrase_mismatch");
  if (complaint !== null) {
    problem.textContent = complaint;
    problem.hidden = false;
    return;
  }
  await act(async () => {
    const created = await adminKeyCreate(passphrase);
    const url = backupDownloadUrl(created.backup);
    state.created = { ...created, url, replace: state.data.admin_key !== null };
    byId("admin-passphrase").value = "";
    byId("admin-passphrase-confirm").value = "";
    renderStrength();
    const link = el("a", { href: url, download: BACKUP_FILENAME, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
  }, t("setup.backup_downloaded"));
}

async function adminInstall() {
  const created = state.created;
  await act(async () => {
    await api("/setup/admin-key", {
      method: "POST",
      body: { public_key: b64encode(created.publicKey), replace: created.replace },
    });
    state.admin = { pair: created.pair, publicKey: created.publicKey, fingerprint: created.fingerprint };
    state.created = null;
    byId("admin-replace-confirm").checked = false;
    byId("admin-replace").open = false;
  }, t("setup.admin_installed"));
}

async function adminLoad(event) {
  event.preventDefault();
  const file = byId("admin-load-file").files[0];
  const passphrase = byId("admin-load-passphrase").value;
  if (!file) return;
  await act(async () => {
    const opened = await adminKeyOpen(await file.text(), passphrase, {
      expectedPublicKey: state.data.admin_key.publicKey,
    });
    if (!adminMatches(opened, state.data.admin_key.publicKey)) {
      throw new Error(t("setup.backup_other_key", { fingerprint: fingerprintDisplay(opened.fingerprint) }));
    }
    state.admin = opened;
    byId("admin-load-passphrase").value = "";
    byId("admin-load-file").value = "";
  }, t("setup.admin_loaded"));
}

// -- devices ----------------------------------------------------------------------------

function personCell(device) {
  const who = el("span", { class: "person" }, device.username);
  const label = device.public_label ? el("span", { class: "muted" }, ` · ${device.public_label}`) : null;
  const mine = device.is_mine && device.device_id === state.record?.deviceId
    ? el("span", { class: "badge" }, t("setup.this_browser"))
    : null;
  return el("td", {}, who, label, mine);
}

function deviceCell(device) {
  const role = device.role === "interpreter" ? t("role.interpreter") : t("role.staff");
  const since = new Date(device.created_at * 1000).toLocaleDateString(pageLanguage());
  return el(
    "td",
    {},
    el("span", { class: "device-detail" }, device.label || "—"),
    el("span", { class: "device-detail muted small" }, `${role} · ${since}`),
  );
}

/** "nadia · Chrome · Linux, claire · Firefox": devices as the tables name them. */
function devicesText(devices) {
  return devices.map((device) => `${device.username} · ${device.label || "—"}`).join(", ");
}

/** One sentence per count: `${key}_one` for one device, `${key}_many` for more. */
function counted(key, devices, values = {}) {
  const n = devices.length;
  return t(n === 1 ? `${key}_one` : `${key}_many`, { ...values, n, devices: devicesText(devices) });
}

/** What a team key version reached: who got it, who did not, why, and what to do. */
function givenText(version, { given, missed }) {
  const sentences = [
    given.length ? counted("setup.given", given, { version }) : t("setup.given_none", { version }),
  ];
  const by = (reason) => missed.filter((entry) => entry.reason === reason).map((e) => e.device);
  const noWrapKey = by("no_wrap_key");
  if (noWrapKey.length) sentences.push(counted("setup.no_wrap_key", noWrapKey));
  const badWrapKey = by("bad_wrap_key");
  if (badWrapKey.length) sentences.push(t("setup.bad_wrap_key", { devices: devicesText(badWrapKey) }));
  const notVerified = by("not_verified");
  if (notVerified.length) sentences.push(t("setup.not_verified", { devices: devicesText(notVerified) }));
  return { text: sentences.join(" "), kind: missed.length ? "warn" : "ok" };
}

function fingerprintCell(device) {
  return el("td", { class: "fingerprint-cell" }, state.fingerprints.get(device.device_id) ?? "");
}

function button(text, onclick, { kind = "", disabled = false, title = null, label = null } = {}) {
  return el(
    "button",
    { type: "button", class: `button small ${kind}`, onclick, disabled: disabled || state.busy, title, "aria-label": label },
    text,
  );
}

function certifyButton(device) {
  const allowed = adminLoaded();
  return button(t("setup.certify"), () => certify(device), {
    kind: "primary",
    disabled: !allowed,
    title: allowed ? null : t("setup.load_admin_first"),
    label: t("setup.certify_who", { who: device.username, device: device.label }),
  });
}

function revokeButton(device) {
  return button(t("setup.revoke"), () => revoke(device), {
    kind: "danger",
    label: t("setup.revoke_who", { who: device.username, device: device.label }),
  });
}

function renderDevices() {
  const devices = state.data.devices;
  const waiting = devices.filter((device) => NEEDS_CERTIFICATE.has(device.state));
  const certified = devices.filter((device) => device.state === "certified");
  const revoked = devices.filter((device) => device.state === "revoked");
  const current = state.data.current_team_key_version;

  replaceChildren(
    byId("pending-devices"),
    waiting.map((device) =>
      el(
        "tr",
        { dataset: { deviceId: device.device_id } },
        personCell(device),
        deviceCell(device),
        fingerprintCell(device),
        el("td", {}, el("span", { class: `state state-${device.state}` }, t(`state.${device.state}`))),
        el("td", { class: "row-actions" }, certifyButton(device), revokeButton(device)),
      ),
    ),
  );
  byId("pending-table").hidden = waiting.length === 0;
  byId("pending-empty").hidden = waiting.length > 0;

  replaceChildren(
    byId("certified-devices"),
    certified.map((device) => {
      const versions = device.team_key_versions;
      const missing = device.role === "staff" && current !== null && !versions.includes(current);
      const held = versions.length ? versions.map((v) => `v${v}`).join(", ") : "—";
      const lacks = wrapTargetListed(device) ? "setup.lacks_ready" : "setup.lacks_no_wrap_key";
      return el(
        "tr",
        { dataset: { deviceId: device.device_id } },
        personCell(device),
        deviceCell(device),
        fingerprintCell(device),
        el(
          "td",
          {},
          device.role === "staff" ? held : t("role.interpreter_no_team_key"),
          missing ? el("span", { class: "state state-pending team-lacks" }, t(lacks, { version: current })) : null,
        ),
        el("td", { class: "row-actions" }, revokeButton(device)),
      );
    }),
  );
  byId("certified-table").hidden = certified.length === 0;
  byId("certified-empty").hidden = certified.length > 0;

  byId("revoked-details").hidden = revoked.length === 0;
  byId("revoked-summary").textContent = t("setup.revoked_count", { n: revoked.length });
  replaceChildren(
    byId("revoked-devices"),
    revoked.map((device) => el("li", {}, `${device.username} · ${device.label || "—"} · ${state.fingerprints.get(device.device_id) ?? ""}`)),
  );

  byId("own-device-note").hidden = state.own !== null;
}

async function certify(device) {
  const version = state.data.current_team_key_version;
  await act(
    async () => {
      const answer = fromWireForm(await deviceCertify({ admin: state.admin, device }));
      const certified = { ...answer, username: device.username }; // named in what is said
      // A staff device certified after the team key was made gets it right away, from
      // this browser's own wrap, when this browser has one.
      const source = ownCurrentWrap();
      if (certified.role !== "staff" || version === null) return null;
      if (source === null) return { given: [], missed: [], noSource: true };
      return teamKeyRewrap({
        record: state.record,
        ...source,
        devices: [certified],
        adminPk: state.admin.publicKey,
      });
    },
    (result) => {
      const done = t("setup.certified", { who: device.username });
      if (result === null) return done;
      if (result.noSource) {
        return { text: `${done} ${t("setup.certified_no_source", { version })}`, kind: "warn" };
      }
      const given = givenText(version, result);
      return { text: `${done} ${given.text}`, kind: given.kind };
    },
  );
}

async function revoke(device) {
  if (!window.confirm(t("setup.revoke_confirm", { who: device.username, device: device.label }))) return;
  await act(
    () => deviceRevoke(device),
    () => {
      const done = t("setup.revoked", { who: device.username, device: device.label || "—" });
      // The server says when the device held the current team key (rotation due).
      if (!state.data.rotation_due.includes("device_revoked")) return done;
      return { text: `${done} ${t("setup.revoked_rotate")}`, kind: "warn" };
    },
  );
}

// -- the team key -------------------------------------------------------------------------

function currentAnnouncement() {
  const version = state.data.current_team_key_version;
  return state.data.team_keys.find((key) => key.version === version) ?? null;
}

/** This browser's own wrap of the current team key: {announcement, wrap}, or null. */
function ownCurrentWrap() {
  const announcement = currentAnnouncement();
  if (announcement === null || state.own === null || state.own.state !== "certified") return null;
  const entry = state.own.team_keys.find((key) => key.announcement.version === announcement.version);
  return entry && entry.wrap ? { announcement: entry.announcement, wrap: entry.wrap } : null;
}

function staffCertified() {
  return state.data.devices.filter((d) => d.state === "certified" && d.role === "staff");
}

function missingCurrent() {
  const current = state.data.current_team_key_version;
  return staffCertified().filter((device) => !device.team_key_versions.includes(current));
}

/** Of those, the ones that can be given it now, as far as the server's list goes. */
function readyForCurrent() {
  return missingCurrent().filter(wrapTargetListed);
}

function renderTeam() {
  const current = currentAnnouncement();
  const loaded = adminLoaded();
  const staff = staffCertified();
  if (current === null) {
    byId("team-state").textContent = state.data.team_keys.length
      ? t("setup.team_expired")
      : t("setup.team_none");
  } else {
    const until = new Date(current.not_after * 1000).toLocaleDateString(pageLanguage());
    const holders = staff.length - missingCurrent().length;
    byId("team-state").textContent = t("setup.team_current", { version: current.version, until, holders });
  }
  renderRotation(current);
  const create = byId("team-create");
  create.hidden = current !== null;
  create.disabled = !loaded || staff.length === 0 || state.busy;
  create.title = !loaded ? t("setup.load_admin_first") : staff.length === 0 ? t("setup.certify_first") : "";
  const rotate = byId("team-rotate");
  rotate.hidden = current === null;
  rotate.disabled = !loaded || staff.length === 0 || state.busy;
  const give = byId("team-give");
  const ready = current === null ? [] : readyForCurrent();
  give.hidden = ready.length === 0;
  give.textContent = t("setup.give_team_key", { n: ready.length });
  give.disabled = ownCurrentWrap() === null || state.busy;
  give.title = ownCurrentWrap() === null ? t("setup.no_own_wrap") : "";
  // Devices that lack it and cannot get it yet: named, with what happens next.
  const waiting = current === null ? [] : missingCurrent().filter((d) => !wrapTargetListed(d));
  const line = byId("team-waiting");
  line.hidden = waiting.length === 0;
  line.textContent = waiting.length ? counted("setup.no_wrap_key", waiting) : "";
  byId("team-needs-admin").hidden = loaded;
}

/** Why rotation is due, and how many conversations are still to move. */
function renderRotation(current) {
  const due = state.data.rotation_due;
  const notice = byId("team-rotation");
  notice.hidden = due.length === 0;
  notice.textContent = due.map((reason) => t(`setup.rotation_due_${reason}`)).join(" ");
  const older = Object.entries(state.data.team_key_usage).filter(
    ([version]) => current === null || Number(version) < current.version,
  );
  const usage = byId("team-usage");
  usage.hidden = older.length === 0;
  usage.textContent = t("setup.team_usage", {
    list: older.map(([version, n]) => `v${version} (${n})`).join(", "),
  });
}

async function teamCreate() {
  const version = state.data.next_team_key_version;
  await act(
    () => teamKeyCreate({ admin: state.admin, version, devices: staffCertified() }),
    (result) => {
      const given = givenText(version, result);
      return { text: `${t("setup.team_created", { version })} ${given.text}`, kind: given.kind };
    },
  );
}

async function teamGive() {
  const source = ownCurrentWrap();
  const devices = missingCurrent();
  await act(async () => {
    const adminPk = await trustedAdminPk({
      admin: adminLoaded() ? state.admin : null,
      serverAdmin: state.data.admin_key,
      record: state.record,
    });
    if (adminPk === null) throw new Error(t("setup.load_admin_first"));
    return teamKeyRewrap({ record: state.record, ...source, devices, adminPk });
  }, (result) => givenText(source.announcement.version, result));
}

// -- the page -------------------------------------------------------------------------------

function render() {
  if (state.data === null) return;
  renderAdmin();
  renderDevices();
  renderTeam();
}

function renderBusy() {
  render();
  root.setAttribute("aria-busy", String(state.busy));
}

function start() {
  byId("admin-create-form").addEventListener("submit", adminCreate);
  byId("admin-passphrase").addEventListener("input", renderStrength);
  byId("admin-install").addEventListener("click", adminInstall);
  byId("admin-load-form").addEventListener("submit", adminLoad);
  byId("admin-replace-confirm").addEventListener("change", render);
  byId("setup-refresh").addEventListener("click", () => act(async () => {}, ""));
  byId("team-create").addEventListener("click", teamCreate);
  byId("team-rotate").addEventListener("click", () => {
    if (window.confirm(t("setup.rotate_confirm"))) teamCreate();
  });
  byId("team-give").addEventListener("click", teamGive);
  window.setInterval(() => {
    if (!state.busy && document.visibilityState === "visible") refresh().catch(() => {});
  }, REFRESH_SECONDS * 1000);
  refresh().catch((error) => setStatus(errorText(error), "error"));
}

start();
