"""Crypto-shredding (protocol.md §4.4): a team key version is destroyed once no
conversation on the server has an epoch wrapped to it, and with it every device KEM key
its wraps were sealed to. A backup taken before then holds the version's wraps; once the
version is destroyed no key that opens them is left anywhere (staff devices delete the
retired KEM keys when they are next told — docs/threat-model.md says what that leaves)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chat import selectors
from chat.crypto import suite1
from chat.events import STAFF_GROUP, Event, events_publish_on_commit
from chat.hooks import hook
from chat.models import Device, TeamKey, TeamKeyWrap


def team_key_destroy_if_unused(*, version: int, now: datetime) -> bool:
    """Destroy ``version`` unless it is the current team key or an epoch of a
    conversation still on the server is wrapped to it. Safe with several workers and
    against a commit racing it: the commit locks the same team key row (commit_submit)."""
    with transaction.atomic():
        team_key = (
            TeamKey.objects.select_for_update()
            .filter(version=version, destroyed_at__isnull=True)
            .first()
        )
        current = selectors.team_key_current(now=now)
        if team_key is None or current is None or team_key.version >= current.version:
            return False
        if selectors.team_key_epochs_exist(version=version):
            return False
        wraps = list(TeamKeyWrap.objects.filter(team_key=team_key).select_related("device"))
        for wrap in wraps:
            wrap_key_retire(device=wrap.device, kem_pk=bytes(wrap.kem_public_key))
        TeamKeyWrap.objects.filter(team_key=team_key).delete()
        team_key.destroyed_at = now
        team_key.save(update_fields=["destroyed_at"])
        destroyed_hook = hook("CHAT_TEAM_KEY_DESTROYED_HOOK")
        if destroyed_hook is not None:  # the audit log, in this transaction
            destroyed_hook(version=version, wraps=len(wraps))
        events_publish_on_commit([team_key_destroyed_event(version)])
    return True


def wrap_key_retire(*, device: Device, kem_pk: bytes) -> None:
    key_id = suite1.key_id(kem_pk).hex()
    if key_id not in device.retired_wrap_key_ids:
        device.retired_wrap_key_ids = [*device.retired_wrap_key_ids, key_id]
        device.save(update_fields=["retired_wrap_key_ids"])


def team_key_destroyed_event(version: int) -> Event:
    """Staff browsers fetch their device again and delete the retired KEM keys."""
    data = {"version": version}
    return STAFF_GROUP, {"type": "staff.event", "event": "team_key.destroyed", "data": data}


def team_keys_shred(*, now: datetime) -> list[int]:
    """Destroy every old version nothing uses any more; returns the versions destroyed."""
    versions = TeamKey.objects.filter(destroyed_at__isnull=True).values_list("version", flat=True)
    return [v for v in sorted(versions) if team_key_destroy_if_unused(version=v, now=now)]


def team_key_shred_job() -> None:
    """The periodic job (settings.PERIODIC_JOBS): runs after expiry has removed
    conversations, whose epochs were what kept an old version alive."""
    team_keys_shred(now=timezone.now())
