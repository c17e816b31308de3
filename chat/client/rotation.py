"""Moving a live conversation to the current team key (protocol.md §5.5): a
staff device that holds the new version makes the next epoch, reason ``rekey``, wrapped
to the new team key, the visitor and the interpreters of the current epoch. Old epochs
stay wrapped to the old version, which is therefore destroyed only once the
conversation has gone (chat/services/shredding.py)."""

from __future__ import annotations

from chat.client.state import ConversationState
from chat.crypto import certs
from chat.crypto.commits import SignedCommit


def epoch_rotation_due(state: ConversationState, *, current_version: int) -> bool:
    """Whether the conversation's current epoch is under an older team key version."""
    if state.current_epoch < 0:
        return False
    commit, _ = state.commits[state.current_epoch]
    return commit.team_key_version < current_version


def epoch_rotate(
    state: ConversationState, *, team: certs.TeamKeyAnnouncement, visitor_kem_pk: bytes
) -> SignedCommit:
    """The next epoch under ``team``, keeping the current epoch's interpreter members."""
    commit, _ = state.commits[state.current_epoch]
    interpreters = [
        (member.id, state.device_certs[member.id].kem_pk, member.label)
        for member in commit.members
        if member.kind == "device"
    ]
    return state.epoch_create(
        reason="rekey", team=team, visitor_kem_pk=visitor_kem_pk, interpreters=interpreters
    )
