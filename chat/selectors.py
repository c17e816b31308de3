"""Reads of the chat app: no writes here (those are in chat/services/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from chat.crypto.commits import Commit as CommitObject
from chat.crypto.commits import Wrap as WrapObject
from chat.crypto.messages import Envelope as EnvelopeObject
from chat.crypto.suite1 import key_id
from chat.models import AdminKey, Commit, Conversation, Device, Envelope, TeamKey, TeamKeyWrap, Wrap
from chat.parties import Party

BACKLOG_PAGE = 500


def admin_key_current() -> AdminKey | None:
    return AdminKey.objects.filter(is_active=True).first()


def team_key_current(*, now: datetime) -> TeamKey | None:
    """The newest team key that is neither destroyed nor past its not_after."""
    return (
        TeamKey.objects.filter(destroyed_at__isnull=True, not_after__gt=now)
        .order_by("-version")
        .first()
    )


def team_keys_for_device(device: Device) -> list[tuple[TeamKey, bytes | None]]:
    keys = list(TeamKey.objects.filter(destroyed_at__isnull=True).order_by("version"))
    wraps = {
        wrap.team_key_id: bytes(wrap.ciphertext)
        for wrap in TeamKeyWrap.objects.filter(device=device, team_key__in=keys)
    }
    return [(key, wraps.get(key.pk)) for key in keys]


def team_key_epochs_exist(*, version: int) -> bool:
    """Whether an epoch of a conversation still on the server is wrapped to this team
    key version (every conversation on the server is live: expiry deletes the rest)."""
    return Wrap.objects.filter(member_kind="team", member_id=str(version)).exists()


def team_key_rotation_due(*, now: datetime) -> list[str]:
    """Why the current team key should be rotated now: ``"schedule"`` (older than
    CHAT_TEAM_KEY_ROTATION_DAYS), ``"device_revoked"`` (a revoked device holds it).
    Only the coordinator's browser can sign the new one, so the server only says so."""
    current = team_key_current(now=now)
    if current is None:
        return []
    reasons = []
    if current.created_at + timedelta(days=settings.CHAT_TEAM_KEY_ROTATION_DAYS) <= now:
        reasons.append("schedule")
    if TeamKeyWrap.objects.filter(team_key=current, device__state=Device.State.REVOKED).exists():
        reasons.append("device_revoked")
    return reasons


def cert_kem_used(device: Device) -> bool:
    """Whether the device's certificate KEM key carries a team key version, or carried
    one that was destroyed: then no other version may be wrapped to it."""
    cert_kem = bytes(device.kem_public_key)
    if key_id(cert_kem).hex() in device.retired_wrap_key_ids:
        return True
    return TeamKeyWrap.objects.filter(device=device, kem_public_key=cert_kem).exists()


def team_key_usage() -> dict[int, int]:
    """How many conversations have their current epoch under each team key version:
    what is still to move to the current version (issue 7)."""
    usage: dict[int, int] = {}
    current = Wrap.objects.filter(
        member_kind="team", commit__epoch=F("commit__conversation__current_epoch")
    ).values_list("member_id", flat=True)
    for member_id in current:
        usage[int(member_id)] = usage.get(int(member_id), 0) + 1
    return usage


def conversation_by_token_hash(token_hash: bytes) -> Conversation | None:
    return Conversation.objects.filter(token_hash=token_hash).first()


def conversation_get(conversation_id: str) -> Conversation | None:
    return Conversation.objects.filter(pk=conversation_id).first()


def conversations_recent(*, limit: int = 200) -> list[Conversation]:
    return list(Conversation.objects.order_by("-last_activity_at")[:limit])


def interpreter_epochs(*, conversation_id: str, device_id: str) -> set[int]:
    """Epochs whose commit lists this device as a member."""
    return set(
        Wrap.objects.filter(
            commit__conversation_id=conversation_id, member_id=device_id
        ).values_list("commit__epoch", flat=True)
    )


def party_may_read(party: Party, conversation_id: str) -> bool:
    if party.is_visitor:
        return party.conversation_id == conversation_id
    if party.is_staff:
        return Conversation.objects.filter(pk=conversation_id).exists()
    if not interpreter_epochs(conversation_id=conversation_id, device_id=party.id):
        return False
    # Issue 6: and only while the staff side says they are in it (not after they left).
    from chat.services.commits import interpreter_admitted

    return interpreter_admitted(
        conversation_id=conversation_id, device_id=party.id, now=timezone.now()
    )


def last_orders(conversation_ids: list[str]) -> dict[str, int]:
    rows = Conversation.objects.filter(pk__in=conversation_ids).values_list("id", "last_order")
    return {str(pk): order for pk, order in rows}


@dataclass(frozen=True)
class BacklogCommit:
    order: int
    commit: CommitObject
    signature: bytes
    wrap: WrapObject | None


@dataclass(frozen=True)
class BacklogEnvelope:
    order: int
    received_at: int
    envelope: EnvelopeObject


def _wrap_for(party: Party, wraps: list[Wrap]) -> WrapObject | None:
    for wrap in wraps:
        if party.receives(wrap.member_kind, wrap.member_id):
            return WrapObject(key_id=bytes(wrap.key_id), ct=bytes(wrap.ciphertext))
    return None


def envelope_object(row: Envelope, conversation_id: str) -> EnvelopeObject:
    return EnvelopeObject(
        conversation_id=conversation_id,
        epoch=row.epoch,
        sender=row.sender,
        stream=bytes(row.stream),
        seq=row.seq,
        content_type=row.content_type,
        ct=bytes(row.ciphertext),
        sig=bytes(row.signature),
    )


def backlog_page(
    *, party: Party, conversation_id: str, after: int, limit: int = BACKLOG_PAGE
) -> list[BacklogCommit | BacklogEnvelope]:
    """Commits and envelopes with order > after, in order, at most ``limit``.

    An interpreter gets only the epochs that list it: old epoch secrets are never
    wrapped to a later joiner, and the server does not hand over their ciphertext either.
    """
    epoch_filter = Q()
    if party.is_interpreter:
        epoch_filter = Q(
            epoch__in=interpreter_epochs(conversation_id=conversation_id, device_id=party.id)
        )
    commits = (
        Commit.objects.filter(epoch_filter, conversation_id=conversation_id, order__gt=after)
        .prefetch_related("wraps")
        .order_by("order")[:limit]
    )
    envelopes = Envelope.objects.filter(
        epoch_filter, conversation_id=conversation_id, order__gt=after
    ).order_by("order")[:limit]
    items: list[BacklogCommit | BacklogEnvelope] = [
        BacklogCommit(
            order=row.order,
            commit=row.body(),
            signature=bytes(row.signature),
            wrap=_wrap_for(party, list(row.wraps.all())),
        )
        for row in commits
    ]
    items += [
        BacklogEnvelope(
            order=row.order,
            received_at=int(row.received_at.timestamp()),
            envelope=envelope_object(row, conversation_id),
        )
        for row in envelopes
    ]
    items.sort(key=lambda item: item.order)
    return items[:limit]


def certs_for(*, party: Party, device_ids: list[str]) -> list[Device]:
    """Certificates of these devices; a visitor gets only those of devices that wrote in
    (or were added to) its conversation, so it cannot enumerate the staff's devices."""
    devices = Device.objects.filter(pk__in=device_ids, cert_signature__isnull=False)
    if party.is_visitor:
        conversation = party.conversation_id
        devices = devices.filter(
            Q(pk__in=_authors(conversation)) | Q(pk__in=_device_members(conversation))
        )
    return list(devices)


def _authors(conversation_id: str | None) -> list[str]:
    senders = Envelope.objects.filter(conversation_id=conversation_id).values_list(
        "sender", flat=True
    )
    committers = Commit.objects.filter(conversation_id=conversation_id).values_list(
        "author", flat=True
    )
    return [pk for pk in {*senders, *committers} if pk != "visitor"]


def _device_members(conversation_id: str | None) -> list[str]:
    return list(
        Wrap.objects.filter(commit__conversation_id=conversation_id, member_kind="device")
        .values_list("member_id", flat=True)
        .distinct()
    )
