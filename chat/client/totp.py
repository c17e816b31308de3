"""TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) for the reference client's
staff sign-in, as an authenticator app makes them from the base32 secret it was given.

The server accepts each step's code once (django-otp's replay protection), from one step
before to one step after its own clock. So that several sign-ins of one account from this
process do not trip over each other, codes are handed out for steps this process has not
used yet, waiting for the next step when both usable ones are spent.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import threading
import time
from base64 import b32decode

STEP_SECONDS = 30
DIGITS = 6

_used: dict[str, int] = {}
_lock = threading.Lock()


def secret_bytes(secret: str) -> bytes:
    """A base32 secret as apps show it (spaces, any case, no padding) → the key."""
    text = "".join(secret.split()).upper()
    return b32decode(text + "=" * (-len(text) % 8))


def totp_at(secret: str, step: int) -> str:
    digest = hmac.new(secret_bytes(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def totp_now(secret: str) -> str:
    return totp_at(secret, int(time.time()) // STEP_SECONDS)


def totp_fresh(secret: str) -> str:
    """A code for a step this process has not used: the current one, else the next (the
    server's tolerance takes it), else wait for the clock to move on."""
    while True:
        with _lock:
            now = int(time.time()) // STEP_SECONDS
            step = max(now, _used.get(secret, -1) + 1)
            if step <= now + 1:
                _used[secret] = step
                return totp_at(secret, step)
        time.sleep((now + 1) * STEP_SECONDS - time.time() + 0.05)


def totp_spent(secret: str) -> None:
    """The server refused a fresh code (another process used its step): skip past it."""
    with _lock:
        _used[secret] = max(_used.get(secret, -1), int(time.time()) // STEP_SECONDS + 1)
