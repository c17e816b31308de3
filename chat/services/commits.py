"""Accepting epoch commits (docs/protocol.md §5.4)."""

from __future__ import annotations

import re
from datetime import datetime

import msgspec
from django.db import transaction

from chat.crypto import commits as crypto_commits
from chat.crypto import suite1
from chat.crypto.commits import Commit as CommitObject
from chat.crypto.commits import Wrap as WrapObject
from chat.crypto.errors import BadObject, BadSignature
from chat.crypto.schema import UUID_PATTERN
from chat.errors import (
    CommitRejected,
    CommitSignatureInvalid,
    ConversationClosed,
    EpochConflict,
    Forbidden,
    Unsupported,
)
from chat.hooks import hook
from chat.models import Commit, Conversation, Device, TeamKey, Wrap
from chat.parties import Party
from chat.results import CommitAccepted
from chat.selectors import interpreter_admitted
from chat.services.ordering import order_next


def commit_submit(
    *,
    party: Party,
    conversation_id: str,
    commit: CommitObject,
    signature: bytes,
    wraps: list[WrapObject],
    now: datetime,
) -> CommitAccepted:
    """Verify a commit with public keys only and append it to the conversation's chain."""
    if commit.conversation_id != conversation_id:
        raise CommitRejected("the commit names another conversation")
    if party.is_visitor and conversation_id != party.conversation_id:
        raise Forbidden("a visitor commits only in its own conversation")
    if party.is_interpreter:
        raise Forbidden("interpreters do not make epochs")
    if commit.suite != suite1.SUITE_ID:
        raise Unsupported("suite not implemented")
    if commit.epoch > 0 and commit.author == crypto_commits.VISITOR:
        raise Forbidden("later epochs are made by staff devices")
    try:
        crypto_commits.commit_members_check(commit)
        crypto_commits.commit_wraps_check(commit, wraps)
    except BadObject as exc:
        raise CommitRejected(str(exc)) from exc
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None or conversation.state != Conversation.State.OPEN:
            raise ConversationClosed("the conversation is closed or gone")
        # Who may make this epoch, and its signature, before anything else: a commit
        # stored already is acknowledged again only to the party that could make it
        # (the device that re-sends it after a reconnection), never to another.
        author_check(commit=commit, party=party)
        author_key = author_signing_key(conversation=conversation, author=commit.author, now=now)
        try:
            crypto_commits.commit_signature_verify(commit, signature, author_key)
        except BadSignature as exc:
            raise CommitSignatureInvalid(str(exc)) from exc
        digest = crypto_commits.commit_hash(commit)
        existing = Commit.objects.filter(conversation=conversation, epoch=commit.epoch).first()
        if existing is not None and bytes(existing.commit_hash) == digest:
            return CommitAccepted(existing.order, commit, signature, wraps, duplicate=True)
        chain_check(conversation=conversation, commit=commit)
        members_check(conversation=conversation, commit=commit, now=now)
        order, _ = order_next(conversation_id=conversation_id, now=now)
        commit_store(conversation, commit, digest, signature, wraps, order, now)
        interpreters = [m.id for m in commit.members if m.kind not in ("team", "visitor")]
        added = hook("CHAT_INTERPRETERS_IN_EPOCH_HOOK")
        if interpreters and added is not None:
            # The audit log: in the transaction, so a rolled-back commit
            # leaves no entry.
            added(conversation_id=conversation_id, device_ids=interpreters, author=party.id)
    return CommitAccepted(order, commit, signature, wraps, duplicate=False)


def author_check(*, commit: CommitObject, party: Party) -> None:
    """Rule 2, who: epoch 0 by the visitor, each later epoch by the authenticated staff
    device that signs it."""
    if commit.epoch == 0:
        if not party.is_visitor:
            raise Forbidden("the visitor opens epoch 0")
        return
    if not party.is_staff or commit.author != party.id:
        raise Forbidden("later epochs are made by the authenticated staff device")


def chain_check(*, conversation: Conversation, commit: CommitObject) -> None:
    """Rule 2, where: each epoch on top of the current one. A commit that lost a race
    gets EpochConflict."""
    if commit.epoch != conversation.current_epoch + 1:
        raise EpochConflict(f"the next epoch is {conversation.current_epoch + 1}")
    if (
        commit.epoch > 0
        and bytes(conversation.current_commit_hash or b"") != commit.prev_commit_hash
    ):
        raise EpochConflict("prev_commit_hash is not the current commit")


def members_check(*, conversation: Conversation, commit: CommitObject, now: datetime) -> None:
    """Rule 3: the team member is a live team key, the visitor member is this
    conversation's visitor, device members are certified interpreter devices."""
    for member in commit.members:
        if member.kind == "team":
            expected = team_key_public(commit.team_key_version)
        elif member.kind == "visitor":
            expected = bytes(conversation.visitor_kem_public_key)
        else:
            expected = interpreter_kem_public(member.id, now=now)
            if expected is not None and not interpreter_admitted(
                conversation_id=str(conversation.pk), device_id=member.id, now=now
            ):
                # Only an interpreter whose request was accepted, and who has
                # not left since, may be given an epoch secret.
                raise CommitRejected(f"interpreter {member.id} is not invited here")
        if expected is None or suite1.key_id(expected) != member.key_id:
            raise CommitRejected(f"member {member.kind}:{member.id} is not a valid recipient")


def epochs_close(*, conversation_id: str, device_id: str) -> int:
    """An interpreter device left: if any epoch gave it the secret, no new envelope is
    accepted in the current epoch or any before it (it could read those). Messages wait
    in the clients until a staff device has made an epoch without it. Returns
    the epoch closed through, or -1 when the device was in no epoch (nothing to hold)."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        in_epochs = Wrap.objects.filter(
            commit__conversation_id=conversation_id, member_kind="device", member_id=device_id
        ).exists()
        if conversation is None or not in_epochs:
            return -1
        Conversation.objects.filter(pk=conversation_id).update(
            epochs_closed_through=conversation.current_epoch
        )
        return conversation.current_epoch


def team_key_public(version: int) -> bytes | None:
    # Locked until the commit is stored, so that crypto-shredding (which locks it too,
    # chat/services/shredding.py) never destroys a version an epoch is being wrapped to.
    key = (
        TeamKey.objects.select_for_update()
        .filter(version=version, destroyed_at__isnull=True)
        .first()
    )
    return bytes(key.public_key) if key else None


def interpreter_kem_public(device_id: str, *, now: datetime) -> bytes | None:
    # Member ids are free strings on the wire; only a lowercase UUID names a device
    # (protocol.md §2.2). Anything else would make the UUID lookup raise, or match a
    # device under a spelling that its own id never equals.
    if not re.fullmatch(UUID_PATTERN[1:-1], device_id):
        return None
    device = Device.objects.filter(
        pk=device_id,
        role=Device.Role.INTERPRETER,
        state=Device.State.CERTIFIED,
        cert_not_after__gt=now,
    ).first()
    return bytes(device.kem_public_key) if device else None


def author_signing_key(*, conversation: Conversation, author: str, now: datetime) -> bytes:
    if author == crypto_commits.VISITOR:
        return bytes(conversation.visitor_sig_public_key)
    device = Device.objects.filter(
        pk=author, role=Device.Role.STAFF, state=Device.State.CERTIFIED, cert_not_after__gt=now
    ).first()
    if device is None:
        raise Forbidden("the author is not a certified staff device")
    return bytes(device.sig_public_key)


def commit_store(
    conversation: Conversation,
    commit: CommitObject,
    digest: bytes,
    signature: bytes,
    wraps: list[WrapObject],
    order: int,
    now: datetime,
) -> None:
    row = Commit.objects.create(
        conversation=conversation,
        epoch=commit.epoch,
        order=order,
        author=commit.author,
        commit_hash=digest,
        body_json=msgspec.json.encode(commit),
        signature=signature,
        received_at=now,
    )
    Wrap.objects.bulk_create(
        Wrap(
            commit=row,
            position=position,
            member_kind=member.kind,
            member_id=member.id,
            key_id=wrap.key_id,
            ciphertext=wrap.ct,
        )
        for position, (member, wrap) in enumerate(zip(commit.members, wraps, strict=True))
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        current_epoch=commit.epoch, current_commit_hash=digest, epoch_started_at=now
    )
