"""Writing and expiring audit entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from audit.models import Action, AuditEntry

DETAILS_MAX_KEYS = 12
DETAIL_TEXT_MAX = 200
Scalar = str | int | float | bool | None


class AuditDetailsInvalid(ValueError):
    """Details must be a small flat dict of short scalars: never content."""


def details_check(details: dict[str, Any]) -> dict[str, Scalar]:
    """A guard, not a proof: a flat dict of at most a dozen short scalars leaves no room
    for a message or a key to slip in by accident."""
    if len(details) > DETAILS_MAX_KEYS:
        raise AuditDetailsInvalid("too many details")
    for name, value in details.items():
        if not isinstance(name, str) or len(name) > 64:
            raise AuditDetailsInvalid("detail names are short strings")
        if not isinstance(value, Scalar):
            raise AuditDetailsInvalid(f"detail {name!r} is not a scalar")
        if isinstance(value, str) and len(value) > DETAIL_TEXT_MAX:
            raise AuditDetailsInvalid(f"detail {name!r} is too long")
    return dict(details)


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | str | None,
    action: str,
    target: Any = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Record ``actor`` doing ``action`` (an ``Action`` value) on ``target``.

    ``actor`` is a user, a typed username (a failed sign-in), or None for the helpline
    itself. Call it inside the transaction of the action it records, so that an action
    that rolls back leaves no entry behind.
    """
    if action not in Action.values:
        raise AuditDetailsInvalid(f"unknown audit action {action!r}")
    user = actor if isinstance(actor, AbstractBaseUser) else None
    if user is not None:
        name = user.get_username()
    elif isinstance(actor, str):
        name = actor
    else:
        name = ""
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        actor=user,
        actor_name=name[:150],
        action=action,
        target=str(target)[:200],
        details=details_check(details or {}),
    )


def audit_expire(*, now: datetime) -> int:
    """Delete entries older than AUDIT_RETENTION_DAYS; how many went. Idempotent, and
    safe with two workers: a row deleted twice is deleted once."""
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted


def interpreters_in_epoch(*, conversation_id: str, device_ids: list[str], author: str) -> None:
    """settings.CHAT_INTERPRETERS_IN_EPOCH_HOOK: a staff device made an epoch that
    interpreter devices can read. The first time a device gets into a conversation is
    an "interpreter joined" entry, by the owner of the authoring device."""
    from chat.models import Device

    for device_id in device_ids:
        seen = AuditEntry.objects.filter(
            action=Action.INTERPRETER_JOINED, target=conversation_id, details__device=device_id
        ).exists()
        if seen:
            continue
        staff = Device.objects.select_related("user").filter(pk=author).first()
        audit_record(
            actor=staff.user if staff else None,
            action=Action.INTERPRETER_JOINED,
            target=conversation_id,
            details={"device": device_id},
        )


def conversations_deleted(*, count: int, reason: str) -> None:
    """settings.CHAT_CONVERSATIONS_DELETED_HOOK: the helpline deleted conversations (their
    expiry). How many and why; not which: a deleted conversation leaves no id behind."""
    audit_record(
        actor=None,
        action=Action.CONVERSATION_DELETED,
        target=reason,
        details={"count": count},
    )


def team_key_destroyed(*, version: int, wraps: int) -> None:
    """settings.CHAT_TEAM_KEY_DESTROYED_HOOK: the helpline destroyed a team key version
    (crypto-shredding, by the periodic job or `helpline_keys shred`, inside its
    transaction): which version, and how many device wraps went with it."""
    audit_record(
        actor=None,
        action=Action.TEAM_KEY_DESTROYED,
        target=f"version {version}",
        details={"wraps": wraps},
    )


def wrap_key_published(*, device: Any, key_id: str) -> None:
    """settings.CHAT_WRAP_KEY_PUBLISHED_HOOK: a staff device published the KEM key the
    next team key version is to be wrapped to (its browser, or `helpline_keys
    publish-wrap-key` with its key file): by the device's owner; the key's id, a hash of
    a public key, lets a later rotation be matched to it."""
    audit_record(
        actor=device.user,
        action=Action.WRAP_KEY_PUBLISHED,
        target=str(device.pk),
        details={"key_id": key_id},
    )
