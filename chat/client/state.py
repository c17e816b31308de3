"""One conversation as a client sees it: commits, epoch secrets, and message crypto.

Pure (no I/O): the transport feeds it frames, it verifies everything it uses with the
pinned admin key (docs/protocol.md §5.4, §6.3) and raises CryptoError otherwise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chat.crypto import certs, commits, messages, suite1
from chat.crypto.commits import Commit, Recipient, SignedCommit, Wrap
from chat.crypto.errors import BadObject
from chat.crypto.messages import Envelope


@dataclass(frozen=True)
class Message:
    conversation_id: str
    order: int
    epoch: int
    sender: str
    content_type: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


@dataclass
class ConversationState:
    conversation_id: str
    me: str  # "visitor" or this device's id: the sender id in AAD
    sign_key: suite1.PrivateKey
    # KEM private keys our wraps may be sealed to, by key id (the visitor's or an
    # interpreter's own key; for staff, every team key version it holds)
    open_keys: dict[bytes, suite1.PrivateKey]
    admin_pk: bytes
    visitor_sig_pk: bytes
    # From `conversation.state` (staff): what a rekey epoch wraps to for the visitor.
    visitor_kem_pk: bytes = b""
    device_certs: dict[str, certs.DeviceCert] = field(default_factory=dict)
    # team key version → public key, from announcements verified under admin_pk
    team_keys: dict[int, bytes] = field(default_factory=dict)
    commits: dict[int, tuple[Commit, bytes]] = field(default_factory=dict)
    secrets: dict[int, bytes] = field(default_factory=dict)
    stream: bytes = field(default_factory=lambda: suite1.random_bytes(messages.STREAM_LEN))
    next_seq: dict[int, int] = field(default_factory=dict)

    @property
    def current_epoch(self) -> int:
        return max(self.secrets, default=-1)

    def cert_add(self, cert: certs.DeviceCert) -> None:
        certs.cert_verify(cert, admin_pk=self.admin_pk, now=int(time.time()))
        self.device_certs[cert.device_id] = cert

    def signer_key(self, party_id: str, role: str) -> bytes:
        if party_id == commits.VISITOR:
            return self.visitor_sig_pk
        cert = self.device_certs.get(party_id)
        if cert is None:
            raise BadObject(f"no verified certificate for device {party_id}")
        if cert.role != role and role != "any":
            raise BadObject(f"device {party_id} is not of role {role}")
        return cert.sig_pk

    def unknown_devices(self, party_ids: list[str]) -> list[str]:
        return [p for p in party_ids if p != commits.VISITOR and p not in self.device_certs]

    def team_key_add(self, announcement: certs.TeamKeyAnnouncement) -> None:
        certs.team_key_verify(announcement, admin_pk=self.admin_pk)
        self.team_keys[announcement.version] = announcement.pk

    def commit_accept(self, commit: Commit, signature: bytes, wrap: Wrap | None) -> None:
        """Verify a commit (chain, signature, members) and open our wrap if it has one."""
        if commit.conversation_id != self.conversation_id:
            raise BadObject("commit of another conversation")
        commits.commit_members_check(commit)
        previous = self.commits.get(commit.epoch - 1)
        if previous is not None and previous[1] != commit.prev_commit_hash:
            raise BadObject("commit does not chain onto the previous one")
        role = "staff"
        commits.commit_signature_verify(commit, signature, self.signer_key(commit.author, role))
        for member in commit.members:
            team_pk = self.team_keys.get(commit.team_key_version)
            if member.kind == "team" and team_pk and suite1.key_id(team_pk) != member.key_id:
                raise BadObject("the commit's team member is not the announced team key")
            if member.kind == "device":
                cert = self.device_certs.get(member.id)
                if (
                    cert is None
                    or cert.role != "interpreter"
                    or suite1.key_id(cert.kem_pk) != member.key_id
                ):
                    raise BadObject("commit adds a device without a valid interpreter certificate")
        self.commits[commit.epoch] = (commit, commits.commit_hash(commit))
        if wrap is not None and wrap.key_id in self.open_keys:
            key = self.open_keys[wrap.key_id]
            self.secrets[commit.epoch] = commits.commit_open(commit, wrap, recipient_key=key)

    def envelope_open(self, envelope: Envelope, order: int) -> Message:
        if envelope.epoch not in self.secrets:
            raise BadObject("no secret for this epoch")
        _, digest = self.commits[envelope.epoch]
        content = messages.message_open(
            envelope,
            epoch_secret=self.secrets[envelope.epoch],
            commit_hash=digest,
            sender_sig_pk=self.signer_key(envelope.sender, "any"),
        )
        return Message(
            conversation_id=envelope.conversation_id,
            order=order,
            epoch=envelope.epoch,
            sender=envelope.sender,
            content_type=envelope.content_type,
            content=content,
        )

    def seal(self, content: bytes, content_type: str = "text") -> Envelope:
        epoch = self.current_epoch
        if epoch < 0:
            raise BadObject("no epoch to write in yet")
        seq = self.next_seq.get(epoch, 0)
        self.next_seq[epoch] = seq + 1
        return messages.message_seal(
            epoch_secret=self.secrets[epoch],
            commit_hash=self.commits[epoch][1],
            conversation_id=self.conversation_id,
            epoch=epoch,
            sender=self.me,
            stream=self.stream,
            seq=seq,
            content_type=content_type,
            content=content,
            sender_key=self.sign_key,
        )

    def epoch_create(
        self,
        *,
        reason: str,
        team: certs.TeamKeyAnnouncement,
        visitor_kem_pk: bytes,
        interpreters: list[tuple[str, bytes, str]],
    ) -> SignedCommit:
        """Make the next epoch (epoch 0 when there is none yet) and adopt its secret."""
        certs.team_key_verify(team, admin_pk=self.admin_pk, now=int(time.time()))
        self.team_keys[team.version] = team.pk
        epoch = self.current_epoch + 1
        previous = self.commits.get(epoch - 1)
        recipients = [
            Recipient("team", str(team.version), team.pk),
            Recipient("visitor", commits.VISITOR, visitor_kem_pk),
            *(
                Recipient("device", device_id, kem_pk, label)
                for device_id, kem_pk, label in interpreters
            ),
        ]
        signed = commits.commit_create(
            conversation_id=self.conversation_id,
            epoch=epoch,
            prev_commit_hash=previous[1] if previous else commits.ZERO_HASH,
            author=self.me,
            author_key=self.sign_key,
            reason=reason,
            team_key_version=team.version,
            recipients=recipients,
            now=int(time.time()),
        )
        self.commits[epoch] = (signed.commit, signed.commit_hash)
        self.secrets[epoch] = signed.epoch_secret
        return signed
