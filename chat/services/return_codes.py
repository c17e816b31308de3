"""Return codes (docs/protocol.md §10): the server's part.

The server never sees a code, only the lookup id the visitor's client derived from it,
and stores only ``HMAC-SHA256(pepper, lookup)`` with the state the client sealed. So a
stolen database gives neither the codes nor the lookups: guessing offline means guessing
a 129-bit code *and* holding the pepper, which is not in the database.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import transaction

from chat.errors import ConversationClosed, ReturnCodeUnknown
from chat.models import Conversation, ReturnCode

PEPPER_FALLBACK_LABEL = b"helpline/v1 return-code pepper"


def return_code_pepper() -> bytes:
    """RETURN_CODE_PEPPER, or (unset: the embedded default, tests) one derived from
    SECRET_KEY; `check --deploy` warns about the latter (chat.W001)."""
    if settings.RETURN_CODE_PEPPER:
        return settings.RETURN_CODE_PEPPER.encode("utf-8")
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), PEPPER_FALLBACK_LABEL, hashlib.sha256
    ).digest()


def lookup_hmac(lookup: bytes) -> bytes:
    return hmac.new(return_code_pepper(), lookup, hashlib.sha256).digest()


@transaction.atomic
def return_code_set(*, conversation_id: str, lookup: bytes, sealed: bytes, now: datetime) -> None:
    """Store the visitor's new code for their conversation, replacing any earlier one
    (which then opens nothing). The caller has checked the visitor is bound to it."""
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    if conversation is None:
        raise ConversationClosed("the conversation is gone")
    ReturnCode.objects.update_or_create(
        conversation=conversation,
        defaults={"lookup_hmac": lookup_hmac(lookup), "sealed": sealed, "created_at": now},
    )


def return_code_revoke(*, conversation_id: str) -> None:
    """The visitor turns their code off; with none, nothing happens."""
    ReturnCode.objects.filter(conversation_id=conversation_id).delete()


def return_code_find(*, lookup: bytes) -> bytes:
    """The sealed state stored under this lookup. A wrong, revoked, expired or deleted
    code all take this one path (an HMAC, one indexed query) and raise the same
    ReturnCodeUnknown: the answer tells nothing about codes that once existed."""
    sealed = (
        ReturnCode.objects.filter(lookup_hmac=lookup_hmac(lookup))
        .values_list("sealed", flat=True)
        .first()
    )
    if sealed is None:
        raise ReturnCodeUnknown("unknown return code")
    return bytes(sealed)
