"""Accepting envelopes: persist, idempotently, in the conversation's order (§6.3, §7)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Sum
from django.db.models.functions import Coalesce, Length

from chat import selectors
from chat.crypto.messages import Envelope as EnvelopeObject
from chat.errors import DeviceNotCertified, EpochClosed, Forbidden, QuotaExceeded, SeqConflict
from chat.hooks import hook_events
from chat.models import Conversation, Device, Envelope
from chat.parties import Party
from chat.results import EnvelopeAccepted
from chat.services.ordering import order_next, order_take_sql

CERTIFIED = Device.State.CERTIFIED


def envelope_submit(*, party: Party, envelope: EnvelopeObject, now: datetime) -> EnvelopeAccepted:
    """Store one envelope and give it the next order; the same envelope again gets the
    order it already has (``duplicate``), a different one under its key is refused."""
    if envelope.sender != party.id:
        raise Forbidden("the sender must be the authenticated party")
    if party.is_visitor and envelope.conversation_id != party.conversation_id:
        raise Forbidden("a visitor writes only in its own conversation")
    if party.is_visitor:
        database_watermark_check()
    try:
        with transaction.atomic():
            order = envelope_store_current(party=party, envelope=envelope, now=now)
            if order is None:
                order = envelope_store(party=party, envelope=envelope, now=now)
            if party.is_visitor:
                # After the insert, under the conversation's row lock that taking the
                # order holds until commit: two sockets cannot both slip under the
                # budget; past it, the transaction rolls back and nothing is stored.
                visitor_bytes_check(conversation_id=envelope.conversation_id, now=now)
            # Routing hook (ops/README.md): the dashboards learn that the visitor wrote.
            events = (
                hook_events(
                    "CHAT_VISITOR_WROTE_HOOK",
                    conversation_id=envelope.conversation_id,
                    order=order,
                    now=now,
                )
                if party.is_visitor
                # The team wrote; a visitor who asked is told (by push).
                else hook_events(
                    "CHAT_TEAM_WROTE_HOOK",
                    conversation_id=envelope.conversation_id,
                    content_type=envelope.content_type,
                    now=now,
                )
            )
    except (IntegrityError, EpochClosed):
        # A client re-sending after a reconnection gets the order its envelope already
        # has, even if the epoch has moved on since; anything else is refused as it was.
        accepted = envelope_duplicate(envelope)
        if accepted is None:
            raise
        return accepted
    return EnvelopeAccepted(
        order=order, received_at=int(now.timestamp()), duplicate=False, events=events
    )


# -- what anonymous visitors may store, so none can fill the disk (operations.md "Limits") --

DAY = timedelta(days=1)


def visitor_bytes_check(*, conversation_id: str, now: datetime) -> None:
    """The visitor's envelopes of the last 24 hours in this conversation, ciphertext
    bytes, within CHAT_VISITOR_BYTES_PER_DAY; else `quota_exceeded`, with the time until
    the oldest of them leaves the window."""
    budget = settings.CHAT_VISITOR_BYTES_PER_DAY
    stored, oldest = (
        Envelope.objects.filter(
            conversation_id=conversation_id, sender="visitor", received_at__gt=now - DAY
        )
        .aggregate(stored=Coalesce(Sum(Length("ciphertext")), 0), oldest=Min("received_at"))
        .values()
    )
    if int(stored) <= budget:
        return
    wait = (oldest + DAY - now).total_seconds() if oldest else DAY.total_seconds()
    raise QuotaExceeded(
        "this conversation wrote all it may today", retry_after_ms=max(1000, int(wait * 1000))
    )


class DatabaseSize:
    """pg_database_size, read at most every CHAT_DATABASE_SIZE_CHECK_SECONDS."""

    size = 0
    read_at = float("-inf")


def database_watermark_check() -> None:
    """Past CHAT_DATABASE_MAX_BYTES (0: no watermark), visitors' new envelopes are
    refused `quota_exceeded` before PostgreSQL fills its disk; staff may still answer."""
    limit = settings.CHAT_DATABASE_MAX_BYTES
    if not limit or connection.vendor != "postgresql":
        return
    clock = time.monotonic()
    if clock - DatabaseSize.read_at >= settings.CHAT_DATABASE_SIZE_CHECK_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            DatabaseSize.size = int(cursor.fetchone()[0])
        DatabaseSize.read_at = clock
    if DatabaseSize.size >= limit:
        raise QuotaExceeded(
            "the helpline's storage is full; try again later",
            retry_after_ms=settings.CHAT_DATABASE_SIZE_CHECK_SECONDS * 1000,
        )


def envelope_store(*, party: Party, envelope: EnvelopeObject, now: datetime) -> int:
    """Take the next order, check the epoch, store the envelope: the general case."""
    if not party.is_visitor and not device_usable(device_id=party.id, now=now):
        # A device revoked while its socket was open (and Redis was down, so the socket
        # was not told): nothing it sends is stored from that moment on.
        raise DeviceNotCertified("this device is not certified")
    order, current_epoch = order_next(conversation_id=envelope.conversation_id, now=now)
    epoch_check(party=party, envelope=envelope, current_epoch=current_epoch, now=now)
    Envelope.objects.create(
        conversation_id=envelope.conversation_id,
        order=order,
        epoch=envelope.epoch,
        sender=envelope.sender,
        stream=envelope.stream,
        seq=envelope.seq,
        content_type=envelope.content_type,
        ciphertext=envelope.ct,
        signature=envelope.sig,
        received_at=now,
    )
    return order


def envelope_store_current(*, party: Party, envelope: EnvelopeObject, now: datetime) -> int | None:
    """The common case in one statement (PostgreSQL): an envelope of the conversation's
    current epoch from a visitor or staff takes the next order and is stored. None when
    it is not that case (another epoch, a closed conversation, an interpreter, SQLite):
    nothing was written and the general case decides."""
    if party.is_interpreter or connection.vendor != "postgresql":
        return None
    envelopes = connection.ops.quote_name(Envelope._meta.db_table)
    devices = connection.ops.quote_name(Device._meta.db_table)
    # A staff device writes only while it is certified (envelope_store says why).
    device_usable_sql = (
        ""
        if party.is_visitor
        else f" AND EXISTS (SELECT 1 FROM {devices} WHERE id = %s AND state = %s"  # noqa: S608
        " AND cert_not_after > %s)"
    )
    take = order_take_sql(
        " AND current_epoch = %s AND epochs_closed_through < %s" + device_usable_sql
    )
    sql = (
        f"WITH next AS ({take})"  # noqa: S608
        f' INSERT INTO {envelopes} (conversation_id, "order", epoch, sender, stream, seq,'
        " content_type, ciphertext, signature, received_at)"
        " SELECT %s, last_order, %s, %s, %s, %s, %s, %s, %s, %s FROM next"
        ' RETURNING "order"'
    )
    pk = Conversation._meta.pk.get_db_prep_value(envelope.conversation_id, connection)
    params = [
        now,
        pk,
        Conversation.State.OPEN,
        envelope.epoch,
        envelope.epoch,  # not an epoch an interpreter left (epoch_check)
        *(
            []
            if party.is_visitor
            else [Device._meta.pk.get_db_prep_value(party.id, connection), CERTIFIED, now]
        ),
        pk,
        envelope.epoch,
        envelope.sender,
        envelope.stream,
        envelope.seq,
        envelope.content_type,
        envelope.ct,
        envelope.sig,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def epoch_check(
    *, party: Party, envelope: EnvelopeObject, current_epoch: int, now: datetime
) -> None:
    epoch = envelope.epoch
    if epoch > current_epoch:
        raise EpochClosed("no such epoch yet")
    if epoch < current_epoch and not previous_epoch_in_grace(
        conversation_id=envelope.conversation_id, epoch=epoch, current_epoch=current_epoch, now=now
    ):
        raise EpochClosed("this epoch has ended")
    if epoch <= epoch_closed_through(envelope.conversation_id):
        # An interpreter who could read this epoch left; the clients hold their
        # messages until a staff device has made an epoch without them.
        raise EpochClosed("an interpreter left this epoch; wait for the next one")
    if party.is_interpreter and epoch not in selectors.interpreter_epochs(
        conversation_id=envelope.conversation_id, device_id=party.id
    ):
        raise EpochClosed("the interpreter is not a member of this epoch")


def device_usable(*, device_id: str, now: datetime) -> bool:
    return Device.objects.filter(pk=device_id, state=CERTIFIED, cert_not_after__gt=now).exists()


def epoch_closed_through(conversation_id: str) -> int:
    closed = (
        Conversation.objects.filter(pk=conversation_id)
        .values_list("epochs_closed_through", flat=True)
        .first()
    )
    return -1 if closed is None else closed


def previous_epoch_in_grace(
    *, conversation_id: str, epoch: int, current_epoch: int, now: datetime
) -> bool:
    """Messages in flight when an epoch changes are accepted for a short grace period."""
    if epoch != current_epoch - 1:
        return False
    started = (
        Conversation.objects.filter(pk=conversation_id)
        .values_list("epoch_started_at", flat=True)
        .first()
    )
    grace = timedelta(seconds=settings.CHAT_EPOCH_GRACE_SECONDS)
    return started is not None and now - started < grace


def envelope_duplicate(envelope: EnvelopeObject) -> EnvelopeAccepted | None:
    """The answer for an envelope whose idempotency key is taken; None if it is not."""
    existing = Envelope.objects.filter(
        conversation_id=envelope.conversation_id,
        epoch=envelope.epoch,
        sender=envelope.sender,
        stream=envelope.stream,
        seq=envelope.seq,
    ).first()
    if existing is None:
        return None
    if bytes(existing.ciphertext) != envelope.ct or bytes(existing.signature) != envelope.sig:
        raise SeqConflict("another envelope already has this (epoch, sender, stream, seq)")
    return EnvelopeAccepted(
        order=existing.order, received_at=int(existing.received_at.timestamp()), duplicate=True
    )
