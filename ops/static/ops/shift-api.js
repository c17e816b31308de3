/**
 * The shift dashboard's HTTP calls (ops/routing/api.py): its initial state, my presence,
 * and what staff do with a conversation. Everything else arrives as `staff.event`
 * frames on the staff websocket; nothing here polls.
 *
 * Notes are sealed in this browser before they are sent (StaffSession.noteSeal); the
 * server gets `{ct, team_key_version}` only.
 * @module
 */

import { b64decode, b64encode } from "../chat/crypto/index.js";
import { api } from "./http.js";

/** `{now, me, shifts, queue, mine, next_opening, auto_assign}` (ops/routing/dashboard.py). */
export function dashboardGet() {
  return api("/dashboard");
}

export function presenceSet(presence) {
  return api("/presence", { method: "POST", body: { presence } });
}

/** Take a waiting conversation; resolves to `{route}`, rejects with ApiError
 * (`already_claimed` when a colleague was faster, `not_on_shift`, `over_capacity`). */
export function routeClaim(conversationId) {
  return api(`/routes/${conversationId}/claim`, { method: "POST", body: {} });
}

/** A sealed note as the API takes it. */
function noteBody(sealed) {
  return { ct: b64encode(sealed.note), team_key_version: sealed.team_key_version };
}

/** Hand a conversation to a colleague (`toUserId`) or back to the queue (null), with an
 * optional sealed note (`{team_key_version, note}` from StaffSession.noteSeal). */
export function routeTransfer(conversationId, { toUserId = null, sealed = null } = {}) {
  const body = { to_user_id: toUserId };
  if (sealed !== null) body.note = noteBody(sealed);
  return api(`/routes/${conversationId}/transfer`, { method: "POST", body });
}

export function routeClose(conversationId) {
  return api(`/routes/${conversationId}/close`, { method: "POST", body: {} });
}

/** The conversation's notes, oldest first: `[{id, kind, author: {user_id, name},
 * note: Uint8Array, team_key_version, created_at}]`. */
export async function notesGet(conversationId) {
  const { notes } = await api(`/routes/${conversationId}/notes`);
  return notes.map(({ ct, ...rest }) => ({ ...rest, note: b64decode(ct) }));
}

/** Store a hand-over note (sealed in this browser). */
export function noteAdd(conversationId, sealed) {
  return api(`/routes/${conversationId}/notes`, { method: "POST", body: noteBody(sealed) });
}
