"""The protocol's cryptography, behind a small API (docs/protocol.md).

The server imports only the *verify* side (certificates, team-key announcements, commit
signatures and structure); clients use the rest. No function here keeps state; the
private keys of a holder and the files that keep them are in chat/crypto/keys.py.
"""

from __future__ import annotations

from chat.crypto.certs import (
    DeviceCert,
    TeamKeyAnnouncement,
    cert_sign,
    cert_verify,
    team_key_sign,
    team_key_verify,
    team_wrap_open,
    team_wrap_seal,
)
from chat.crypto.commits import (
    VISITOR,
    ZERO_HASH,
    Commit,
    Member,
    Recipient,
    SignedCommit,
    Wrap,
    commit_create,
    commit_hash,
    commit_members_check,
    commit_open,
    commit_signature_verify,
    commit_wraps_check,
)
from chat.crypto.errors import BadCiphertext, BadObject, BadSignature, CryptoError
from chat.crypto.messages import Envelope, message_open, message_seal
from chat.crypto.suite1 import (
    SUITE_ID,
    PrivateKey,
    admin_fingerprint,
    fingerprint_display,
    key_id,
    private_key_generate,
    public_bytes,
)

__all__ = [
    "SUITE_ID",
    "VISITOR",
    "ZERO_HASH",
    "BadCiphertext",
    "BadObject",
    "BadSignature",
    "Commit",
    "CryptoError",
    "DeviceCert",
    "Envelope",
    "Member",
    "PrivateKey",
    "Recipient",
    "SignedCommit",
    "TeamKeyAnnouncement",
    "Wrap",
    "admin_fingerprint",
    "cert_sign",
    "cert_verify",
    "commit_create",
    "commit_hash",
    "commit_members_check",
    "commit_open",
    "commit_signature_verify",
    "commit_wraps_check",
    "fingerprint_display",
    "key_id",
    "message_open",
    "message_seal",
    "private_key_generate",
    "public_bytes",
    "team_key_sign",
    "team_key_verify",
    "team_wrap_open",
    "team_wrap_seal",
]
