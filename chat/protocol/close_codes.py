"""The websocket close codes of protocol v1 (docs/protocol.md §8.4, "Close codes"): one
name per code, for the server and the Python reference client. ``python -m
chat.protocol.schema`` exports them under ``$defs/CloseCode`` of
docs/protocol-v1.schema.json, the file a second implementation reads; the JavaScript
clients' copies are checked against the enum by tests/chat/test_close_codes.py.

A *final* code means the client must not reconnect on its own: a person acts (signs in
again, starts over). Any other close is retried with backoff, then synced.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    # Staff socket without a valid session, or its session ended (signed out, signed out
    # everywhere, ended by a revocation, the account made inactive).
    NO_SESSION = 4401
    # The staff device was revoked (or is no longer certified); a visitor's conversation
    # was blocked by staff, after an `error` `conversation_closed`.
    REFUSED = 4403
    # No successful open/resume/`device.auth` within 30 s of the handshake.
    AUTH_TIMEOUT = 4408
    # The conversation was deleted (by its visitor) or expired.
    CONVERSATION_GONE = 4410
    # An interpreter's part in the conversation ended: they left, were removed, or their
    # time ran out.
    INTERPRETER_ENDED = 4411
    # The client did not read what it was sent (a link too slow for a while).
    SLOW_CONSUMER = 4413
    # A flood: most of the socket's recent frames were refused.
    FLOOD = 4429

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset(
    {
        CloseCode.NO_SESSION,
        CloseCode.REFUSED,
        CloseCode.CONVERSATION_GONE,
        CloseCode.INTERPRETER_ENDED,
    }
)


def close_codes_schema() -> dict:
    """The codes as a JSON Schema definition: one ``const`` per code, titled with its
    name, and whether it is final (``x-final``)."""
    return {
        "title": "CloseCode",
        "description": (
            "Websocket close codes of protocol v1 (docs/protocol.md §8.4, generated from "
            "chat/protocol/close_codes.py). Final: the client does not reconnect on its own."
        ),
        "type": "integer",
        "oneOf": [
            {"const": code.value, "title": code.name, "x-final": code.final} for code in CloseCode
        ],
    }
