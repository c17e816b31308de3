"""Typed errors of the crypto layer."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class: something did not verify, open, or parse."""


class BadSignature(CryptoError):
    """A signature does not verify under the expected key."""


class BadCiphertext(CryptoError):
    """A wrap or message did not open (wrong key, tampered bytes or bound field)."""


class BadObject(CryptoError):
    """An object is malformed or breaks a rule of docs/protocol.md."""
