/**
 * A rough strength hint for the admin key's passphrase. It only guides: the real
 * protection is 600,000 PBKDF2 rounds and keeping the file offline.
 * @module
 */

export const MIN_LENGTH = 12;

/**
 * "short" | "weak" | "fair" | "strong". Estimates bits from the character classes used
 * and the length, discounting repeated characters; several words make a good one.
 */
export function passphraseStrength(passphrase) {
  if (passphrase.length < MIN_LENGTH) return "short";
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 20;
  const distinct = new Set(passphrase).size;
  const effective = Math.min(passphrase.length, distinct * 2);
  const bits = effective * Math.log2(Math.max(pool, 2));
  if (bits < 60) return "weak";
  if (bits < 90) return "fair";
  return "strong";
}
