// What the browser crypto (chat/static/chat/crypto/suite1.js) takes from @hpke/core:
// suite 1's KEM, KDF and AEAD, the cipher suite, and the error base class. Nothing else
// is exported, so the bundle holds only what protocol v1 uses.
export {
  Aes128Gcm,
  Aes256Gcm,
  CipherSuite,
  DhkemP256HkdfSha256,
  HkdfSha256,
  HpkeError,
} from "@hpke/core";
