// What the visitor's page (chat/static/chat/protocol/open-pow.js) takes from altcha-lib:
// the solver of ALTCHA v1 challenges, the proof of work a new conversation costs
// (docs/protocol.md §8.3.1). Nothing else is exported.
export { solveChallenge } from "altcha-lib/v1";
