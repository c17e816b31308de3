"""Opening, resuming and marking conversations (docs/protocol.md §8.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.module_loading import import_string

from chat import selectors
from chat.crypto import suite1
from chat.crypto.errors import CryptoError
from chat.errors import HelplineNotReady, KeyInvalid, Unauthorized, Unsupported
from chat.hooks import HookEvent, hook_events
from chat.models import AdminKey, Conversation, Participant, TeamKey
from chat.parties import Party

TOKEN_LEN = 32


@dataclass(frozen=True)
class OpenedConversation:
    conversation: Conversation
    token: bytes
    admin_key: AdminKey
    team_key: TeamKey
    # Routing news from the staff side's hook, for the caller to publish after commit.
    events: list[HookEvent] = field(default_factory=list)


def token_hash(token: bytes) -> bytes:
    return suite1.sha256(token)


def campaign_code_accepted(code: str | None) -> str:
    """The campaign code to record, or "" when it is unknown.

    An unknown or stale code (an old sticker) never stops a conversation: a reply is
    too precious to lose; it is simply not attributed to a campaign.
    """
    if not code:
        return ""
    known = import_string(settings.CHAT_CAMPAIGN_VALIDATOR)
    return code if known(code) else ""


def helpline_keys(*, now: datetime) -> tuple[AdminKey, TeamKey]:
    admin_key = selectors.admin_key_current()
    team_key = selectors.team_key_current(now=now)
    if admin_key is None or team_key is None:
        raise HelplineNotReady("the helpline has no admin key or team key yet")
    return admin_key, team_key


@transaction.atomic
def conversation_open(
    *,
    suite: int,
    language: str,
    campaign: str | None,
    visitor_kem_pk: bytes,
    visitor_sig_pk: bytes,
    now: datetime,
) -> OpenedConversation:
    """Create a conversation for a new visitor; return it with its one-time token.

    Only H(token) is stored. Nothing about the visitor is recorded beyond the language
    they chose and the campaign their link came from.
    """
    if suite != suite1.SUITE_ID:
        raise Unsupported("suite not implemented")
    try:
        suite1.public_key_load(visitor_kem_pk)
        suite1.public_key_load(visitor_sig_pk)
    except CryptoError as exc:
        raise KeyInvalid(str(exc)) from exc
    admin_key, team_key = helpline_keys(now=now)
    token = suite1.random_bytes(TOKEN_LEN)
    conversation = Conversation.objects.create(
        token_hash=token_hash(token),
        campaign_code=campaign_code_accepted(campaign),
        language=language.lower(),
        visitor_kem_public_key=visitor_kem_pk,
        visitor_sig_public_key=visitor_sig_pk,
        created_at=now,
        last_activity_at=now,
    )
    Participant.objects.create(
        conversation=conversation, kind=Participant.Kind.VISITOR, party_id="visitor", joined_at=now
    )
    # Routing hook (ops/README.md): the staff side queues the conversation in this same
    # transaction, so a conversation never exists without its place in the queue.
    events = hook_events(
        "CHAT_CONVERSATION_OPENED_HOOK",
        conversation=conversation,
        campaign_code=conversation.campaign_code,
        now=now,
    )
    return OpenedConversation(conversation, token, admin_key, team_key, events)


def conversation_resume(*, token: bytes, now: datetime) -> tuple[Conversation, AdminKey, TeamKey]:
    """Find the visitor's conversation by token. A wrong, expired or deleted token all
    raise the same Unauthorized, so a guess learns nothing."""
    conversation = selectors.conversation_by_token_hash(token_hash(token))
    if conversation is None:
        raise Unauthorized("unknown token")
    admin_key, team_key = helpline_keys(now=now)
    return conversation, admin_key, team_key


def conversation_mark_closed(*, conversation_id: str, at: datetime) -> None:
    """Staff closed it: it expires CHAT_CLOSED_EXPIRY_DAYS from now unless a message
    comes after (chat/expiry.py). The visitor may still write; nothing is refused."""
    Conversation.objects.filter(pk=conversation_id).update(closed_at=at)


def receipt_record(
    *, party: Party, conversation_id: str, kind: str, order: int, now: datetime
) -> None:
    """Move the party's delivered/read mark forward (never backward)."""
    field = "last_read_order" if kind == "read" else "last_delivered_order"
    updated = Participant.objects.filter(conversation_id=conversation_id, party_id=party.id).update(
        **{field: Greatest(F(field), order)}
    )
    if not updated:
        Participant.objects.get_or_create(
            conversation_id=conversation_id,
            party_id=party.id,
            defaults={"kind": party.kind, field: order, "joined_at": now},
        )
