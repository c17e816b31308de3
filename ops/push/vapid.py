"""The helpline's VAPID key (RFC 8292): a P-256 key pair whose public half browsers are
given at ``subscribe()`` (``applicationServerKey``) and whose private half signs a JWT on
every push, so a push service delivers to a subscription only what we sent.

Kept like SECRET_KEY: ``PUSH_VAPID_PRIVATE_KEY`` (or ``_FILE``), base64url of the 32 raw
bytes of the private scalar; the embedded default reads var/vapid_private_key, made by
``manage.py push_keys`` or ``demo_seed``. Changing it invalidates every subscription
(browsers subscribed with the old public key): they are deleted as push services answer
403/404/410, and people tick the box again.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def vapid_key_generate() -> str:
    """A new private key, as the setting holds it."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def vapid_key_write(path: Path, *, replace: bool = False) -> bool:
    """Write a new key to ``path`` (mode 0600) unless one is there; True if written.
    Written to a private temporary file then linked into place, as var/secret_key."""
    if path.exists() and not replace:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vapid.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as key_file:
            key_file.write(vapid_key_generate() + "\n")
        if replace:
            os.replace(temporary, path)
            return True
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
            return True
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def vapid_signer() -> Vapid02 | None:
    """The key that signs pushes; None when push is off (no key configured)."""
    private = settings.PUSH_VAPID_PRIVATE_KEY
    if not private:
        return None
    return Vapid02.from_string(private)


def vapid_public_key() -> str | None:
    """The public key for ``applicationServerKey``: base64url of the uncompressed point."""
    signer = vapid_signer()
    if signer is None:
        return None
    return b64url(
        signer.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def visitor_push_key() -> str | None:
    """The widget's hook (WIDGET_PUSH_KEY_HOOK): the key, when visitors may ask."""
    return vapid_public_key() if settings.PUSH_VISITORS else None
