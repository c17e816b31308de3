// The protocol side of the visitor's page, in one module the page imports once it can
// be typed in (widget/static/widget/app.js): the session, return codes, and the crypto
// behind them, with the vendored @hpke/core.
export { VisitorSession } from "../../chat/static/chat/protocol/visitor.js";
export { powSolverInWorker } from "../../chat/static/chat/protocol/open-pow.js";
export {
  returnCodeMake,
  returnCodeOpen,
  returnCodeRevoke,
} from "../../chat/static/chat/protocol/return-code.js";
export { codeDisplay } from "../../chat/static/chat/crypto/return-code.js";
