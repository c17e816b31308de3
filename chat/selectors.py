"""Reads of the chat app: no writes here (those are in chat/services/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from chat.crypto.commits import Commit as CommitObject
from chat.crypto.commits import Wrap as WrapObject
from chat.crypto.messages import Envelope as EnvelopeObject
from chat.crypto.suite1 import key_id
from chat.hooks import hook
from chat.models import AdminKey, Commit, Conversation, Device, Envelope, TeamKey, TeamKeyWrap, Wrap
from chat.parties import Party

BACKLOG_PAGE = 500
# What a commit counts for in a backlog page's bytes (its body and up to 16 wraps).
COMMIT_BYTES = 4096


def admin_key_current() -> AdminKey | None:
    return AdminKey.objects.filter(is_active=True).first()


def team_key_current(*, now: datetime) -> TeamKey | None:
    """The newest team key that is neither destroyed nor past its not_after."""
    return (
        TeamKey.objects.filter(destroyed_at__isnull=True, not_after__gt=now)
        .order_by("-version")
        .first()
    )


def team_keys_for_device(device: Device) -> list[tuple[TeamKey, TeamKeyWrap | None]]:
    """Every live team key version, with this device's wrap of it (or None)."""
    keys = list(TeamKey.objects.filter(destroyed_at__isnull=True).order_by("version"))
    wraps = {
        wrap.team_key_id: wrap
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
    what is still to move to the current version."""
    usage: dict[int, int] = {}
    current = Wrap.objects.filter(
        member_kind="team", commit__epoch=F("commit__conversation__current_epoch")
    ).values_list("member_id", flat=True)
    for member_id in current:
        usage[int(member_id)] = usage.get(int(member_id), 0) + 1
    return usage


def device_certified(*, device_id: str, user_id: int, now: datetime) -> bool:
    """Whether this device of this person may be used now: certified, not revoked, its
    certificate not expired."""
    return Device.objects.filter(
        pk=device_id, user_id=user_id, state=Device.State.CERTIFIED, cert_not_after__gt=now
    ).exists()


def conversation_standing(*, conversation_id: str, token_hash: bytes) -> str:
    """``"open"`` while this token still opens the conversation; ``"blocked"`` when staff
    blocked it (its token hash was replaced); ``"gone"`` once deleted or expired."""
    stored = (
        Conversation.objects.filter(pk=conversation_id).values_list("token_hash", flat=True).first()
    )
    if stored is None:
        return "gone"
    return "open" if bytes(stored) == token_hash else "blocked"


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
    # And only while the staff side says they are in it (not after they left).
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


@dataclass(frozen=True)
class BacklogPage:
    items: list[BacklogCommit | BacklogEnvelope]
    # Whether items after these were left for the next `sync` (`sync.done`'s `more`).
    more: bool


def backlog_epoch_filter(party: Party, conversation_id: str) -> Q:
    """An interpreter gets only the epochs that list it: old epoch secrets are never
    wrapped to a later joiner, and the server does not hand over their ciphertext either."""
    if not party.is_interpreter:
        return Q()
    return Q(epoch__in=interpreter_epochs(conversation_id=conversation_id, device_id=party.id))


def backlog_next(
    *, party: Party, conversation_id: str, after: int, max_bytes: int, limit: int = BACKLOG_PAGE
) -> BacklogPage:
    """The next page of a backlog: the items after ``after``, in order, while their
    stored bytes stay within ``max_bytes`` (always at least one) and their count within
    ``limit``. Sizes are read first (PostgreSQL knows a bytea's length without reading
    it), so a conversation of large messages is never loaded whole."""
    epoch_filter = backlog_epoch_filter(party, conversation_id)
    sizes = list(
        Envelope.objects.filter(epoch_filter, conversation_id=conversation_id, order__gt=after)
        .order_by("order")
        .annotate(size=Length("ciphertext"))
        .values_list("order", "size")[: limit + 1]
    )
    sizes += [
        (order, COMMIT_BYTES)
        for order in Commit.objects.filter(
            epoch_filter, conversation_id=conversation_id, order__gt=after
        )
        .order_by("order")
        .values_list("order", flat=True)[: limit + 1]
    ]
    sizes.sort()
    taken, total = 0, 0
    for _order, size in sizes[:limit]:
        if taken and total + size > max_bytes:
            break
        taken += 1
        total += size
    if not taken:
        return BacklogPage(items=[], more=False)
    items = backlog_page(
        party=party, conversation_id=conversation_id, after=after, upto=sizes[taken - 1][0]
    )
    return BacklogPage(items=items, more=taken < len(sizes))


def backlog_page(
    *,
    party: Party,
    conversation_id: str,
    after: int,
    limit: int = BACKLOG_PAGE,
    upto: int | None = None,
) -> list[BacklogCommit | BacklogEnvelope]:
    """Commits and envelopes with after < order (≤ ``upto``), in order, at most ``limit``
    (an interpreter's only of its epochs, ``backlog_epoch_filter``)."""
    epoch_filter = backlog_epoch_filter(party, conversation_id)
    if upto is not None:
        epoch_filter &= Q(order__lte=upto)
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


def certs_for(*, party: Party, device_ids: list[str], conversation_ids: list[str]) -> list[Device]:
    """Certificates of these devices, only of those that wrote in (or were added to) a
    conversation the socket follows — its own, for a visitor — so that no one can
    enumerate the staff's devices. Staff may also have the certificate of an interpreter
    admitted to one of them: they add it to the next epoch with it."""
    if party.is_visitor:
        conversation_ids = [party.conversation_id]
    wanted = [pk for pk in device_ids if pk != "visitor"]
    allowed = _authors(conversation_ids, wanted) | _device_members(conversation_ids, wanted)
    if party.is_staff:
        now = timezone.now()
        allowed |= {
            pk
            for pk in set(wanted) - allowed
            for conversation_id in conversation_ids
            if interpreter_admitted(conversation_id=conversation_id, device_id=pk, now=now)
        }
    devices = Device.objects.filter(pk__in=allowed, cert_signature__isnull=False)
    return list(devices)


def _authors(conversation_ids: list[str], device_ids: list[str]) -> set[str]:
    senders = Envelope.objects.filter(
        conversation_id__in=conversation_ids, sender__in=device_ids
    ).values_list("sender", flat=True)
    committers = Commit.objects.filter(
        conversation_id__in=conversation_ids, author__in=device_ids
    ).values_list("author", flat=True)
    return {*senders.distinct(), *committers.distinct()}


def _device_members(conversation_ids: list[str], device_ids: list[str]) -> set[str]:
    return set(
        Wrap.objects.filter(
            commit__conversation_id__in=conversation_ids,
            member_kind="device",
            member_id__in=device_ids,
        )
        .values_list("member_id", flat=True)
        .distinct()
    )


def interpreter_admitted(*, conversation_id: str, device_id: str, now: datetime) -> bool:
    """The staff side's word (CHAT_INTERPRETER_ADMITTED_HOOK); without a staff side,
    any certified interpreter device may be added."""
    admitted = hook("CHAT_INTERPRETER_ADMITTED_HOOK")
    if admitted is None:
        return True
    return bool(admitted(conversation_id=conversation_id, device_id=device_id, now=now))


def interpreter_admitted_until(
    *, conversation_id: str, device_id: str, now: datetime
) -> datetime | None:
    """Until when this interpreter device is admitted to the conversation (the staff
    side's time limit, CHAT_INTERPRETER_ADMITTED_UNTIL_HOOK); None when it is not.
    Without a staff side, any certified interpreter device, with no end."""
    until = hook("CHAT_INTERPRETER_ADMITTED_UNTIL_HOOK")
    if until is None:
        return datetime.max.replace(tzinfo=UTC)
    return until(conversation_id=conversation_id, device_id=device_id, now=now)
