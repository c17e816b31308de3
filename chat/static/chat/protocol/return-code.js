/**
 * Return codes, the visitor's side of docs/protocol.md §10 (mirrors the return-code
 * methods of chat/client/visitor.py). `returnCodeMake` seals what reopens the session's
 * conversation under a new code and stores it (replacing any earlier one);
 * `returnCodeRevoke` turns it off; `returnCodeOpen` fetches and opens it on another
 * phone and gives the state `VisitorSession.fromState` resumes from the beginning.
 * @module
 */

import { importKemPrivate, importSigPrivate, privateScalar, publicBytes } from "../crypto/index.js";
import { codeGenerate, codeKeys, stateOpen, stateSeal } from "../crypto/return-code.js";
import { Connection } from "./connection.js";

const STATE_VERSION = 1;

/** A new code for the session's open conversation; resolves to its 40 digits once the
 *  server stored the lookup and the sealed state. Only the lookup leaves the browser. */
export async function returnCodeMake(session) {
  if (session.conversationId === null || session.token === null) {
    throw new Error("returnCodeMake: no conversation yet");
  }
  const code = codeGenerate();
  const keys = await codeKeys(code);
  const sealed = await stateSeal(keys, {
    conversationId: session.conversationId,
    token: session.token,
    kemScalar: await privateScalar(session.kemPair.privateKey),
    kemPk: await publicBytes(session.kemPair),
    sigScalar: await privateScalar(session.sigPair.privateKey),
    sigPk: await publicBytes(session.sigPair),
  });
  const connection = await session.connectedAfter(null);
  await connection.request({
    type: "return_code.set",
    conversation_id: session.conversationId,
    lookup: keys.lookup,
    sealed,
  });
  return code;
}

/** Turn the conversation's code off (harmless when there is none). */
export async function returnCodeRevoke(session) {
  const connection = await session.connectedAfter(null);
  await connection.request({ type: "return_code.revoke", conversation_id: session.conversationId });
}

/**
 * The visitor state a code opens, for `VisitorSession.fromState(state, options)`.
 * Throws CodeInvalid (a typo, caught before anything is sent), ServerRefused with code
 * `unauthorized` (no such code: wrong, revoked, expired or deleted — the server cannot
 * tell them apart either) or `rate_limited` (`error.frame.retry_after_ms`).
 */
export async function returnCodeOpen({ baseUrl, code, language, campaign = null }) {
  const keys = await codeKeys(code);
  const connection = new Connection(baseUrl, "visitor");
  let found;
  try {
    await connection.open();
    found = await connection.request({ type: "return_code.open", lookup: keys.lookup });
  } finally {
    connection.close();
  }
  const state = await stateOpen(keys, found.sealed);
  // Extractable, like a new visitor's keys: this phone may make a new code in turn.
  const [kemPair, sigPair] = await Promise.all([
    importKemPrivate(state.kemScalar, state.kemPk, { extractable: true }),
    importSigPrivate(state.sigScalar, state.sigPk, { extractable: true }),
  ]);
  return {
    version: STATE_VERSION,
    conversationId: state.conversationId,
    token: state.token,
    kemPair,
    sigPair,
    language,
    campaign,
  };
}
