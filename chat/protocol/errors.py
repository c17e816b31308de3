"""Protocol error codes (docs/protocol.md §8.4) and the one place domain errors map to them."""

from __future__ import annotations

from enum import StrEnum

from chat import errors as domain


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"
    TOO_LARGE = "too_large"
    UNKNOWN_TYPE = "unknown_type"
    RATE_LIMITED = "rate_limited"
    NOT_AUTHENTICATED = "not_authenticated"
    ALREADY_AUTHENTICATED = "already_authenticated"
    UNAUTHORIZED = "unauthorized"
    DEVICE_NOT_CERTIFIED = "device_not_certified"
    FORBIDDEN = "forbidden"
    UNAVAILABLE = "unavailable"
    NOT_SUBSCRIBED = "not_subscribed"
    CONVERSATION_CLOSED = "conversation_closed"
    UNSUPPORTED = "unsupported"
    EPOCH_CONFLICT = "epoch_conflict"
    BAD_COMMIT = "bad_commit"
    BAD_SIGNATURE = "bad_signature"
    EPOCH_CLOSED = "epoch_closed"
    SEQ_CONFLICT = "seq_conflict"
    QUOTA_EXCEEDED = "quota_exceeded"
    POW_REQUIRED = "pow_required"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A frame is refused: answered with an error frame, the socket stays usable."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        ref: str | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
        # With `rate_limited` from a limit other than the socket's own bucket.
        self.retry_after_ms = retry_after_ms


DOMAIN_ERROR_CODES: dict[type[domain.ChatError], ErrorCode] = {
    domain.Unauthorized: ErrorCode.UNAUTHORIZED,
    domain.ReturnCodeUnknown: ErrorCode.UNAUTHORIZED,
    domain.DeviceNotCertified: ErrorCode.DEVICE_NOT_CERTIFIED,
    domain.Forbidden: ErrorCode.FORBIDDEN,
    domain.KeyInvalid: ErrorCode.BAD_FRAME,
    domain.HelplineNotReady: ErrorCode.UNAVAILABLE,
    domain.CertificateInvalid: ErrorCode.BAD_SIGNATURE,
    domain.ConversationClosed: ErrorCode.CONVERSATION_CLOSED,
    domain.Unsupported: ErrorCode.UNSUPPORTED,
    domain.EpochConflict: ErrorCode.EPOCH_CONFLICT,
    domain.CommitRejected: ErrorCode.BAD_COMMIT,
    domain.CommitSignatureInvalid: ErrorCode.BAD_SIGNATURE,
    domain.EpochClosed: ErrorCode.EPOCH_CLOSED,
    domain.SeqConflict: ErrorCode.SEQ_CONFLICT,
    domain.TeamKeyVersionConflict: ErrorCode.EPOCH_CONFLICT,
    domain.TeamKeyUnknown: ErrorCode.BAD_COMMIT,
    domain.WrapKeyRefused: ErrorCode.FORBIDDEN,
    domain.QuotaExceeded: ErrorCode.QUOTA_EXCEEDED,
}


def protocol_error_from(exc: domain.ChatError, ref: str | None) -> ProtocolError:
    # An error without a protocol code is a server bug, not the client's: say internal.
    code = DOMAIN_ERROR_CODES.get(type(exc), ErrorCode.INTERNAL)
    return ProtocolError(
        code, str(exc), ref=ref, retry_after_ms=getattr(exc, "retry_after_ms", None)
    )
