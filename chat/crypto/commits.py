"""Epoch commits, member wraps and key commitments (protocol.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

from chat.crypto import suite1
from chat.crypto.encoding import label, lp, lps, u8, u32, u64
from chat.crypto.errors import BadObject
from chat.crypto.schema import (
    Epoch,
    Hash,
    KeyId,
    MemberLabel,
    PartyId,
    Reason,
    SafeInt,
    Struct,
    SuiteId,
    Uuid,
    Version,
    WrapBytes,
)

VISITOR = "visitor"
ZERO_HASH = bytes(32)
MEMBERS_MIN = 2
MEMBERS_MAX = 16
EPOCH_SECRET_LEN = 32


class Member(Struct):
    kind: Literal["team", "visitor", "device"]
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
    key_id: KeyId
    label: MemberLabel = ""


class Commit(Struct):
    suite: SuiteId
    conversation_id: Uuid
    epoch: Epoch
    prev_commit_hash: Hash
    author: PartyId
    reason: Reason
    team_key_version: Version
    key_commitment: Hash
    created_at: SafeInt
    members: Annotated[list[Member], msgspec.Meta(min_length=MEMBERS_MIN, max_length=MEMBERS_MAX)]


class Wrap(Struct):
    key_id: KeyId
    ct: WrapBytes


@dataclass(frozen=True)
class Recipient:
    """Someone an epoch secret is wrapped to: a member and its KEM public key."""

    kind: str
    id: str
    kem_pk: bytes
    label: str = ""

    def member(self) -> Member:
        return Member(
            kind=self.kind, id=self.id, key_id=suite1.key_id(self.kem_pk), label=self.label
        )


@dataclass(frozen=True)
class SignedCommit:
    commit: Commit
    signature: bytes
    wraps: list[Wrap]
    epoch_secret: bytes

    @property
    def commit_hash(self) -> bytes:
        return commit_hash(self.commit)


def commit_body(commit: Commit) -> bytes:
    parts = [
        label("commit"),
        u8(commit.suite),
        lps(commit.conversation_id),
        u32(commit.epoch),
        lp(commit.prev_commit_hash),
        lps(commit.author),
        lps(commit.reason),
        u32(commit.team_key_version),
        lp(commit.key_commitment),
        u64(commit.created_at),
        u32(len(commit.members)),
    ]
    for member in commit.members:
        parts += [lps(member.kind), lps(member.id), lp(member.key_id), lps(member.label)]
    return b"".join(parts)


def commit_hash(commit: Commit) -> bytes:
    return suite1.sha256(commit_body(commit))


def key_commitment(epoch_secret: bytes, *, conversation_id: str, epoch: int) -> bytes:
    info = label("key-commitment") + lps(conversation_id) + u32(epoch)
    return suite1.hkdf(epoch_secret, info, 32)


def wrap_info(*, conversation_id: str, epoch: int, key_id: bytes, commit_hash: bytes) -> bytes:
    return (
        label("epoch-wrap")
        + u8(suite1.SUITE_ID)
        + lps(conversation_id)
        + u32(epoch)
        + lp(key_id)
        + lp(commit_hash)
    )


def commit_members_check(commit: Commit) -> None:
    """Structural rules of §5.3: one team member, one visitor member, unique key ids."""
    if commit.suite != suite1.SUITE_ID:
        raise BadObject("unsupported suite")
    kinds = [member.kind for member in commit.members]
    if kinds.count("team") != 1 or kinds.count("visitor") != 1:
        raise BadObject("a commit has exactly one team and one visitor member")
    if len({member.key_id for member in commit.members}) != len(commit.members):
        raise BadObject("two members share a key id")
    for member in commit.members:
        if len(member.label.encode("utf-8")) > 64:
            raise BadObject("member label over 64 bytes")
        if "\x00" in member.label:
            raise BadObject("member label holds NUL (§2.1)")
        if member.kind == "team" and member.id != str(commit.team_key_version):
            raise BadObject("team member id must be the team key version")
        if member.kind == "team" and member.label:
            raise BadObject("team member must have the empty label (§5.3)")
        if member.kind == "visitor" and (member.id != VISITOR or member.label):
            raise BadObject("visitor member must be id 'visitor' without label")
        if member.kind == "device" and member.id == VISITOR:
            raise BadObject("device member needs a device id")
    if commit.epoch == 0 and (
        commit.prev_commit_hash != ZERO_HASH or commit.author != VISITOR or commit.reason != "open"
    ):
        raise BadObject("epoch 0 is opened by the visitor with a zero previous hash")
    if commit.epoch > 0 and commit.author == VISITOR:
        raise BadObject("only staff devices make later epochs")


def commit_wraps_check(commit: Commit, wraps: list[Wrap]) -> None:
    """One wrap per member, same key ids in the same order (§5.4 rule 4)."""
    if [wrap.key_id for wrap in wraps] != [member.key_id for member in commit.members]:
        raise BadObject("wraps must match the members one for one, in order")


def commit_signature_verify(commit: Commit, signature: bytes, author_sig_pk: bytes) -> None:
    suite1.verify(author_sig_pk, commit_body(commit), signature)


def commit_create(
    *,
    conversation_id: str,
    epoch: int,
    prev_commit_hash: bytes,
    author: str,
    author_key: suite1.PrivateKey,
    reason: str,
    team_key_version: int,
    recipients: list[Recipient],
    now: int,
) -> SignedCommit:
    """Make a fresh epoch secret, the signed commit and one wrap per recipient."""
    epoch_secret = suite1.random_bytes(EPOCH_SECRET_LEN)
    commit = Commit(
        suite=suite1.SUITE_ID,
        conversation_id=conversation_id,
        epoch=epoch,
        prev_commit_hash=prev_commit_hash,
        author=author,
        reason=reason,
        team_key_version=team_key_version,
        key_commitment=key_commitment(epoch_secret, conversation_id=conversation_id, epoch=epoch),
        created_at=now,
        members=[recipient.member() for recipient in recipients],
    )
    commit_members_check(commit)
    digest = commit_hash(commit)
    wraps = [
        Wrap(
            key_id=suite1.key_id(recipient.kem_pk),
            ct=suite1.hpke_seal(
                recipient.kem_pk,
                wrap_info(
                    conversation_id=conversation_id,
                    epoch=epoch,
                    key_id=suite1.key_id(recipient.kem_pk),
                    commit_hash=digest,
                ),
                epoch_secret,
            ),
        )
        for recipient in recipients
    ]
    signature = suite1.sign(author_key, commit_body(commit))
    return SignedCommit(commit=commit, signature=signature, wraps=wraps, epoch_secret=epoch_secret)


def commit_open(commit: Commit, wrap: Wrap, *, recipient_key: suite1.PrivateKey) -> bytes:
    """Open this recipient's wrap and check the key commitment; return the epoch secret."""
    own_key_id = suite1.key_id(suite1.public_bytes(recipient_key))
    if wrap.key_id != own_key_id or own_key_id not in {m.key_id for m in commit.members}:
        raise BadObject("this wrap is not addressed to this key")
    info = wrap_info(
        conversation_id=commit.conversation_id,
        epoch=commit.epoch,
        key_id=own_key_id,
        commit_hash=commit_hash(commit),
    )
    epoch_secret = suite1.hpke_open(recipient_key, info, wrap.ct)
    expected = key_commitment(
        epoch_secret, conversation_id=commit.conversation_id, epoch=commit.epoch
    )
    if len(epoch_secret) != EPOCH_SECRET_LEN or expected != commit.key_commitment:
        raise BadObject("epoch secret does not match the key commitment")
    return epoch_secret
