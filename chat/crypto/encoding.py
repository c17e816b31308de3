"""Byte-string building blocks of protocol v1 (docs/protocol.md §2).

Everything that is signed, hashed, or bound into HPKE ``info`` or AEAD ``aad`` is built
only from these functions, so the Python and browser implementations cannot drift.
"""

from __future__ import annotations

import base64
import binascii
import re

from chat.crypto.errors import BadObject

_B64_RE = re.compile(r"\A(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")


def u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def lp(data: bytes) -> bytes:
    """Length-prefixed bytes: ``u32(len) ‖ data``."""
    return u32(len(data)) + bytes(data)


def lps(text: str) -> bytes:
    """Length-prefixed UTF-8 string (``str()`` in the spec); never one holding NUL (§2.1)."""
    if "\x00" in text:
        raise BadObject("a str() field holds NUL")
    return lp(text.encode("utf-8"))


def label(purpose: str) -> bytes:
    """The domain-separation label that starts every bound byte string."""
    return lps(f"helpline/v1 {purpose}")


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict standard base64 with padding; raises ValueError on anything else."""
    if not isinstance(text, str) or not _B64_RE.match(text):
        raise ValueError("not standard padded base64")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not standard padded base64") from exc
