"""What the services answer when they accept a write: plain values, so that the events
built from them (chat/events.py) and the consumers that send them need not import the
services (imports point down: tests/test_import_rules.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chat.crypto.commits import Commit as CommitObject
from chat.crypto.commits import Wrap as WrapObject
from chat.hooks import HookEvent


@dataclass(frozen=True)
class CommitAccepted:
    order: int
    commit: CommitObject
    signature: bytes
    wraps: list[WrapObject]
    duplicate: bool


@dataclass(frozen=True)
class EnvelopeAccepted:
    order: int
    received_at: int
    duplicate: bool
    # Routing news from the staff side's hook, for the caller to publish after commit.
    events: list[HookEvent] = field(default_factory=list)
