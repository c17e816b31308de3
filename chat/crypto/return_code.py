"""The visitor's return code (docs/protocol.md §10): what the visitor writes down to come
back to a conversation on another phone, and what the client derives from it.

A code is 40 decimal digits shown as 10 groups of 4: 39 random digits (log2(10^39) =
129.5 bits) and one Damm check digit, which catches every single wrong digit and every
swap of two neighbours before anything is sent. Digits read the same in every language
of the widget and are easy to copy by hand. The code never leaves the client: it derives
a lookup id (sent to the server, which stores only an HMAC of it) and a key that seals
the state needed to reopen the conversation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from chat.crypto import suite1
from chat.crypto.encoding import label, lp, lps
from chat.crypto.errors import BadObject

RANDOM_DIGITS = 39
CODE_DIGITS = RANDOM_DIGITS + 1
GROUP_DIGITS = 4
LOOKUP_LEN = 32
KEY_LEN = 32
NONCE_LEN = 12
SEALED_MIN = NONCE_LEN + suite1.AEAD_TAG_LEN
SEALED_MAX = 1024
# Separators a visitor may type between groups; anything else that is not a digit is
# a typo. Full-width digits (a Chinese input method) count as digits. CR is a separator
# too: a code pasted from a text with CRLF line ends is the same code.
SEPARATORS = frozenset(" \t\r\n-.,_\u00a0\u3000")
# A random byte gives a digit when it is below 250 (= 25 × 10): its value modulo 10 is
# then uniform; bytes from 250 on are skipped.
USABLE_BYTE_BELOW = 250
FULL_WIDTH_ZERO = 0xFF10

# Damm's quasigroup of order 10 (totally anti-symmetric, zero diagonal).
DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


class CodeInvalid(ValueError):
    """The typed code is not 40 digits with a right check digit: a typo, caught here."""


@dataclass(frozen=True)
class CodeKeys:
    lookup: bytes  # sent to the server
    key: bytes  # never leaves the client


@dataclass(frozen=True)
class ReturnState:
    """What reopens a conversation: its id, its token and the visitor's two key pairs
    (private scalars with their public keys)."""

    conversation_id: str
    token: bytes
    kem_scalar: bytes
    kem_pk: bytes
    sig_scalar: bytes
    sig_pk: bytes


def damm_digit(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = DAMM[interim][int(digit)]
    return str(interim)


def code_from_random(random: bytes) -> str:
    """The code these random bytes make (§10.1): the first 39 bytes below 250, each
    modulo 10, then the check digit. Raises ValueError when fewer than 39 are usable."""
    digits = "".join(str(byte % 10) for byte in random if byte < USABLE_BYTE_BELOW)
    if len(digits) < RANDOM_DIGITS:
        raise ValueError(f"a code needs {RANDOM_DIGITS} random bytes below {USABLE_BYTE_BELOW}")
    digits = digits[:RANDOM_DIGITS]
    return digits + damm_digit(digits)


def code_generate() -> str:
    """A new code: 39 uniformly random digits and their check digit."""
    random = b""
    while sum(byte < USABLE_BYTE_BELOW for byte in random) < RANDOM_DIGITS:
        random += secrets.token_bytes(64)
    return code_from_random(random)


def code_normalise(typed: str) -> str:
    """The 40 ASCII digits of a typed code; raises CodeInvalid on a typo."""
    digits = []
    for char in typed:
        if "0" <= char <= "9":
            digits.append(char)
        elif FULL_WIDTH_ZERO <= ord(char) <= FULL_WIDTH_ZERO + 9:
            digits.append(str(ord(char) - FULL_WIDTH_ZERO))
        elif char not in SEPARATORS:
            raise CodeInvalid("a return code has only digits")
    code = "".join(digits)
    if len(code) != CODE_DIGITS:
        raise CodeInvalid(f"a return code has {CODE_DIGITS} digits")
    if damm_digit(code) != "0":  # Damm: a valid number checks to zero
        raise CodeInvalid("the check digit does not match")
    return code


def code_display(code: str) -> str:
    """10 groups of 4 digits separated by spaces."""
    return " ".join(code[i : i + GROUP_DIGITS] for i in range(0, len(code), GROUP_DIGITS))


def code_keys(code: str) -> CodeKeys:
    """lookup = HKDF(code, "return-code lookup"), key = HKDF(code, "return-code key");
    the input is the 40 ASCII digits of a normalised code."""
    ikm = code_normalise(code).encode("ascii")
    return CodeKeys(
        lookup=suite1.hkdf(ikm, label("return-code lookup"), LOOKUP_LEN),
        key=suite1.hkdf(ikm, label("return-code key"), KEY_LEN),
    )


def state_bytes(state: ReturnState) -> bytes:
    return (
        label("return-code state")
        + lps(state.conversation_id)
        + lp(state.token)
        + lp(state.kem_scalar)
        + lp(state.kem_pk)
        + lp(state.sig_scalar)
        + lp(state.sig_pk)
    )


def seal_aad(lookup: bytes) -> bytes:
    return label("return-code seal") + lp(lookup)


def state_seal(keys: CodeKeys, state: ReturnState, *, nonce: bytes | None = None) -> bytes:
    """nonce ‖ AES-256-GCM(key, nonce, state_bytes, aad = seal_aad(lookup))."""
    nonce = suite1.random_bytes(NONCE_LEN) if nonce is None else nonce
    return nonce + suite1.aead_encrypt(keys.key, nonce, state_bytes(state), seal_aad(keys.lookup))


def state_open(keys: CodeKeys, sealed: bytes) -> ReturnState:
    """Open a sealed state; raises BadCiphertext (wrong key) or BadObject (malformed)."""
    if not SEALED_MIN <= len(sealed) <= SEALED_MAX:
        raise BadObject("sealed state has a wrong length")
    plain = suite1.aead_decrypt(
        keys.key, sealed[:NONCE_LEN], sealed[NONCE_LEN:], seal_aad(keys.lookup)
    )
    return state_parse(plain)


def state_parse(plain: bytes) -> ReturnState:
    reader = _Reader(plain)
    if reader.field() != b"helpline/v1 return-code state":
        raise BadObject("not a return-code state")
    state = ReturnState(
        conversation_id=reader.field().decode("utf-8"),
        token=reader.field(32),
        kem_scalar=reader.field(suite1.SCALAR_LEN),
        kem_pk=reader.field(suite1.PUBLIC_KEY_LEN),
        sig_scalar=reader.field(suite1.SCALAR_LEN),
        sig_pk=reader.field(suite1.PUBLIC_KEY_LEN),
    )
    reader.end()
    for scalar, public in ((state.kem_scalar, state.kem_pk), (state.sig_scalar, state.sig_pk)):
        if suite1.public_bytes(suite1.private_key_from_scalar(scalar)) != public:
            raise BadObject("a private key does not match its public key")
    return state


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def field(self, length: int | None = None) -> bytes:
        if self.at + 4 > len(self.data):
            raise BadObject("truncated return-code state")
        size = int.from_bytes(self.data[self.at : self.at + 4], "big")
        start, self.at = self.at + 4, self.at + 4 + size
        if self.at > len(self.data) or (length is not None and size != length):
            raise BadObject("bad field in return-code state")
        return self.data[start : self.at]

    def end(self) -> None:
        if self.at != len(self.data):
            raise BadObject("trailing bytes in return-code state")
