"""Typed errors of the chat domain. Services raise them; chat/protocol/errors.py maps them
to protocol error codes in one place."""

from __future__ import annotations


class ChatError(Exception):
    """A domain action was refused; nothing was stored."""


class QuotaExceeded(ChatError):
    """An anonymous visitor may not fill the disk: their conversation wrote its bytes for
    the day, or the database reached CHAT_DATABASE_MAX_BYTES; ``retry_after_ms`` says
    when to try again."""

    def __init__(self, message: str, *, retry_after_ms: int) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class Unauthorized(ChatError):
    """Wrong conversation token or device signature (never says which part was wrong)."""


class DeviceNotCertified(ChatError):
    """The device is pending, revoked, or its certificate has expired."""


class Forbidden(ChatError):
    """The party may not do this on this conversation."""


class ConversationClosed(ChatError):
    """The conversation is closed, deleted or expired."""


class Unsupported(ChatError):
    """A suite or version this server does not implement."""


class EpochConflict(ChatError):
    """The commit is not the next one in the chain (another commit won the race)."""


class CommitRejected(ChatError):
    """The commit's members or wraps break docs/protocol.md §5.3–5.4."""


class CommitSignatureInvalid(ChatError):
    """The commit's signature does not verify under its author's key."""


class EpochClosed(ChatError):
    """The envelope's epoch is unknown, past its grace period, or excludes the sender."""


class SeqConflict(ChatError):
    """Another envelope was already accepted under this (epoch, sender, stream, seq)."""


class KeyInvalid(ChatError):
    """A public key is not a valid P-256 point."""


class HelplineNotReady(ChatError):
    """The helpline has no admin key or no current team key yet."""


class CertificateInvalid(ChatError):
    """A device certificate does not verify under the admin key."""


class WrapKeyRefused(ChatError):
    """So that destroying a team key version leaves no key that opens its wraps, a team
    key is wrapped only to a device KEM key that carries no other version and was not
    retired; and a wrap key is signed by its device, so the server cannot slip in its own."""


class TeamKeyVersionConflict(ChatError):
    """A team key is published with another version than the next one."""


class TeamKeyUnknown(ChatError):
    """No live team key has this version."""


class ReturnCodeUnknown(ChatError):
    """No conversation for this return code: wrong, expired, deleted or revoked alike."""
