"""Suite 1 primitives (docs/protocol.md §3), on Python ``cryptography``.

HPKE: DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, base mode, single-shot,
empty aad. Messages: AES-256-GCM. Signatures: ECDSA P-256/SHA-256 as 64-byte r ‖ s.
No primitive is written here; this module only fixes encodings and parameters.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chat.crypto.encoding import label, lp
from chat.crypto.errors import BadCiphertext, BadObject, BadSignature

SUITE_ID = 1
PUBLIC_KEY_LEN = 65
SIGNATURE_LEN = 64
SCALAR_LEN = 32
HPKE_ENC_LEN = 65
AEAD_TAG_LEN = 16
KEY_ID_LEN = 16

PrivateKey = ec.EllipticCurvePrivateKey
_CURVE = ec.SECP256R1()
_HPKE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def random_bytes(n: int) -> bytes:
    return secrets.token_bytes(n)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def private_key_generate() -> PrivateKey:
    return ec.generate_private_key(_CURVE)


def public_bytes(key: PrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """SEC1 uncompressed point, 65 bytes (WebCrypto's ``raw`` export)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


@lru_cache(maxsize=4096)
def public_key_load(data: bytes) -> ec.EllipticCurvePublicKey:
    """Parse and validate an uncompressed P-256 point (cached: verification is hot)."""
    if len(data) != PUBLIC_KEY_LEN or data[0] != 0x04:
        raise BadObject("public key must be a 65-byte uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, data)
    except ValueError as exc:
        raise BadObject("public key is not a point on P-256") from exc


def private_scalar(key: PrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(SCALAR_LEN, "big")


def private_key_from_scalar(scalar: bytes) -> PrivateKey:
    if len(scalar) != SCALAR_LEN:
        raise BadObject("private scalar must be 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(scalar, "big"), _CURVE)
    except ValueError as exc:
        raise BadObject("private scalar out of range") from exc


def key_id(public_key: bytes) -> bytes:
    return sha256(label("key-id") + lp(public_key))[:KEY_ID_LEN]


def admin_fingerprint(admin_public_key: bytes) -> bytes:
    return sha256(label("admin-fingerprint") + lp(admin_public_key))


def fingerprint_display(fingerprint: bytes) -> str:
    """64 hex digits in 16 groups of 4, as printed on outreach material."""
    text = fingerprint.hex()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def sign(key: PrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise BadSignature unless ``signature`` (r ‖ s) verifies; never returns False."""
    if len(signature) != SIGNATURE_LEN:
        raise BadSignature("signature must be 64 bytes r ‖ s")
    key = public_key_load(public_key)
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise BadSignature("signature does not verify") from exc


def hpke_seal(public_key: bytes, info: bytes, plaintext: bytes) -> bytes:
    """Single-shot HPKE base mode with empty aad; returns ``enc ‖ ct``."""
    return _HPKE.encrypt(plaintext, public_key_load(public_key), info=info)


def hpke_open(key: PrivateKey, info: bytes, wrap: bytes) -> bytes:
    if len(wrap) < HPKE_ENC_LEN + AEAD_TAG_LEN:
        raise BadCiphertext("wrap too short")
    try:
        return _HPKE.decrypt(wrap, key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise BadCiphertext("wrap does not open") from exc


def hkdf(ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 with an empty salt (RFC 5869: 32 zero bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise BadCiphertext("message does not decrypt") from exc
