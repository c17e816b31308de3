/**
 * The proof of work a new conversation costs (docs/protocol.md §8.3.1): the
 * server's `open.challenge` is an ALTCHA v1 challenge, solved with altcha-lib (vendored:
 * chat/vendor-src). About `max_number / 2` SHA-256 on average, well under a second on a
 * phone at the usual price; more while the helpline is flooded.
 * @module
 */

import { solveChallenge } from "../vendor/altcha.js";
import { BadObject } from "../crypto/index.js";

/** The number that solves `challenge`, found on this thread. */
export async function powSolveHere(challenge) {
  const { promise } = solveChallenge(
    challenge.challenge,
    challenge.salt,
    challenge.algorithm,
    challenge.max_number,
  );
  const solution = await promise;
  if (solution === null) throw new BadObject("the open challenge has no solution");
  return solution.number;
}

/**
 * A solver that works in a Web Worker loaded from `workerUrl` (the page stays
 * responsive while it hashes); on this thread where workers cannot run.
 */
export function powSolverInWorker(workerUrl) {
  return (challenge) =>
    new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new Worker(workerUrl);
      } catch {
        powSolveHere(challenge).then(resolve, reject);
        return;
      }
      worker.onmessage = (event) => {
        worker.terminate();
        if (Number.isSafeInteger(event.data?.number)) resolve(event.data.number);
        else reject(new BadObject("the open challenge has no solution"));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        worker.terminate();
        powSolveHere(challenge).then(resolve, reject);
      };
      worker.postMessage({
        challenge: challenge.challenge,
        salt: challenge.salt,
        algorithm: challenge.algorithm,
        max: challenge.max_number,
      });
    });
}

/** The `pow` of a `conversation.open`: the challenge as it came, and its number. */
export function powOf(challenge, number) {
  return {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    salt: challenge.salt,
    hmac: challenge.hmac,
    number,
  };
}
