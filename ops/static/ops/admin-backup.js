/**
 * The admin key's backup file (docs/operations.md, "The admin key backup file"):
 *
 *   {kind: "helpline-admin-key-backup", version: 1, public_key,
 *    kdf: {name: "PBKDF2-SHA256", iterations: 600000, salt}, iv, ct}
 *
 * ct = AES-256-GCM(key = PBKDF2-SHA256(NFC(passphrase), salt, iterations, 32 bytes),
 * iv, plaintext = the 32-byte private scalar, no AAD). Binary fields are standard
 * padded base64. The private key exists as bytes only inside these functions; the page
 * keeps a non-extractable CryptoKeyPair, in memory, while it is open.
 * @module
 */

import {
  BadObject,
  adminFingerprint,
  b64decode,
  b64encode,
  generateSigKeyPair,
  hexDecode,
  importSigPrivate,
  privateScalar,
  publicBytes,
  randomBytes,
} from "../chat/crypto/index.js";

export const BACKUP_KIND = "helpline-admin-key-backup";
// The unencrypted key file of `manage.py helpline_keys create-admin` (and the demo seed):
// {kind: "helpline-admin-key", sig: hex scalar}. Accepted too, so a helpline set up
// from the command line can be run from this page.
export const PLAIN_KIND = "helpline-admin-key";
export const BACKUP_VERSION = 1;
export const BACKUP_FILENAME = "helpline-admin-key.json";
export const KDF_NAME = "PBKDF2-SHA256";
export const KDF_ITERATIONS = 600000;
// A backup asking for fewer rounds is not one we made; far more would freeze the page.
const KDF_ITERATIONS_MIN = 100000;
const KDF_ITERATIONS_MAX = 10000000;
const SALT_LEN = 16;
const IV_LEN = 12;

const subtle = globalThis.crypto.subtle;

/** The passphrase does not open this backup (or the file was altered). */
export class BadPassphrase extends Error {
  constructor() {
    super("wrong passphrase, or the file was altered");
    this.name = "BadPassphrase";
  }
}

/** The file is not an admin key backup we can read. */
export class BadBackupFile extends Error {
  constructor(message) {
    super(message);
    this.name = "BadBackupFile";
  }
}

async function passphraseKey(passphrase, salt, iterations) {
  const material = await subtle.importKey(
    "raw",
    new TextEncoder().encode(passphrase.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * A new admin signing key. Returns `{pair, publicKey, fingerprint, backup}`: `pair` is
 * non-extractable (the extractable original is dropped once the backup is sealed),
 * `backup` the JSON object to offer as a download.
 */
export async function adminKeyCreate(passphrase) {
  const original = await generateSigKeyPair({ extractable: true });
  const publicKey = await publicBytes(original);
  const scalar = await privateScalar(original.privateKey);
  try {
    const salt = randomBytes(SALT_LEN);
    const iv = randomBytes(IV_LEN);
    const key = await passphraseKey(passphrase, salt, KDF_ITERATIONS);
    const ct = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, key, scalar));
    const pair = await importSigPrivate(scalar, publicKey, { extractable: false });
    const backup = {
      kind: BACKUP_KIND,
      version: BACKUP_VERSION,
      public_key: b64encode(publicKey),
      kdf: { name: KDF_NAME, iterations: KDF_ITERATIONS, salt: b64encode(salt) },
      iv: b64encode(iv),
      ct: b64encode(ct),
    };
    return { pair, publicKey, fingerprint: await adminFingerprint(publicKey), backup };
  } finally {
    scalar.fill(0);
  }
}

function field(condition, message) {
  if (!condition) throw new BadBackupFile(message);
}

function bytes(text, name) {
  try {
    return b64decode(text);
  } catch (error) {
    if (error instanceof BadObject) throw new BadBackupFile(`${name} is not base64`);
    throw error;
  }
}

async function plainKeyOpen(file, expectedPublicKey) {
  // The file holds no public key: it must be the one the helpline has.
  let scalar;
  try {
    scalar = hexDecode(file.sig);
  } catch {
    throw new BadBackupFile("not an admin key file");
  }
  try {
    const pair = await importSigPrivate(scalar, expectedPublicKey, { extractable: false });
    const publicKey = expectedPublicKey;
    return { pair, publicKey, fingerprint: await adminFingerprint(publicKey) };
  } catch {
    throw new BadBackupFile("this key file holds another admin key");
  } finally {
    scalar.fill(0);
  }
}

/**
 * Open a backup file's text with its passphrase (or a plain key file of the command
 * line, which must hold `expectedPublicKey`'s private key). Returns `{pair, publicKey,
 * fingerprint}` with a non-extractable pair; throws BadBackupFile or BadPassphrase.
 */
export async function adminKeyOpen(text, passphrase, { expectedPublicKey = null } = {}) {
  let backup;
  try {
    backup = JSON.parse(text);
  } catch {
    throw new BadBackupFile("not JSON");
  }
  if (backup?.kind === PLAIN_KIND && expectedPublicKey !== null) {
    return plainKeyOpen(backup, expectedPublicKey);
  }
  field(backup && backup.kind === BACKUP_KIND, "not an admin key backup");
  field(backup.version === BACKUP_VERSION, "unknown backup version");
  field(backup.kdf && backup.kdf.name === KDF_NAME, "unknown key derivation");
  const iterations = backup.kdf.iterations;
  field(
    Number.isSafeInteger(iterations) &&
      iterations >= KDF_ITERATIONS_MIN &&
      iterations <= KDF_ITERATIONS_MAX,
    "key derivation rounds out of range",
  );
  const publicKey = bytes(backup.public_key, "public_key");
  const salt = bytes(backup.kdf.salt, "salt");
  const iv = bytes(backup.iv, "iv");
  const ct = bytes(backup.ct, "ct");
  field(publicKey.length === 65 && iv.length === IV_LEN && ct.length === 48, "wrong sizes");
  const key = await passphraseKey(passphrase, salt, iterations);
  let scalar;
  try {
    scalar = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv }, key, ct));
  } catch {
    throw new BadPassphrase();
  }
  try {
    const pair = await importSigPrivate(scalar, publicKey, { extractable: false });
    return { pair, publicKey, fingerprint: await adminFingerprint(publicKey) };
  } catch {
    throw new BadBackupFile("the key in the file does not match its public key");
  } finally {
    scalar.fill(0);
  }
}

/** Offer the backup as a file download (a Blob URL: it never goes to the server). */
export function backupDownloadUrl(backup) {
  const blob = new Blob([JSON.stringify(backup, null, 2) + "\n"], { type: "application/json" });
  return URL.createObjectURL(blob);
}
