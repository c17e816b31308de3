// The visitor page's Web Worker for the proof of work of a new conversation
// (chat/static/chat/protocol/open-pow.js): one challenge in, its solution (or null) out.
import { solveChallenge } from "../../chat/static/chat/vendor/altcha.js";

self.onmessage = async ({ data }) => {
  const { promise } = solveChallenge(data.challenge, data.salt, data.algorithm, data.max);
  self.postMessage(await promise);
};
