/**
 * The small public crypto API of protocol v1 (chat/static/chat/README.md). Pages and the
 * protocol client import only this module; the modules behind it mirror chat/crypto/.
 * Every failure throws a CryptoError (BadSignature, BadCiphertext, BadObject).
 * @module
 */

export { BadCiphertext, BadObject, BadSignature, CryptoError } from "./errors.js";
export { b64decode, b64encode, hexDecode, hexEncode } from "./encoding.js";
export {
  SUITE_ID,
  adminFingerprint,
  fingerprintDisplay,
  generateKemKeyPair,
  generateSigKeyPair,
  importKemPrivate,
  importSigPrivate,
  keyId,
  privateScalar,
  publicBytes,
  randomBytes,
  sign,
  verify,
} from "./suite1.js";
export {
  certSign,
  certVerify,
  deviceAuthSign,
  teamKeySign,
  teamKeyVerify,
  teamWrapOpen,
  teamWrapSeal,
  wrapKeySign,
  wrapKeyVerify,
} from "./certs.js";
export {
  VISITOR,
  ZERO_HASH,
  commitBody,
  commitCreate,
  commitHash,
  commitMembersCheck,
  commitOpen,
  commitSignatureVerify,
  commitWrapsCheck,
} from "./commits.js";
export { STREAM_LEN, messageOpen, messageSeal } from "./messages.js";
export { NOTE_MAX_BYTES, noteOpen, noteSeal } from "./notes.js";
