"""Conversations and the keys around them. The server stores ciphertext, public keys and
the minimum metadata to route, order and expire — never a private key or plaintext, and
nothing about a visitor beyond the conversation's language and campaign code."""

from __future__ import annotations

import uuid

import msgspec
from django.conf import settings
from django.db import models
from django.db.models import Q

from chat.crypto.certs import DeviceCert, TeamKeyAnnouncement
from chat.crypto.commits import Commit as CommitObject
from chat.crypto.schema import MAX_SAFE_INT


def unix(moment) -> int:
    return int(moment.timestamp())


class AdminKey(models.Model):
    """The public half of the helpline's admin signing key; its private half stays with
    the coordinator (a file or a browser), never here."""

    public_key = models.BinaryField(max_length=65)
    fingerprint = models.BinaryField(max_length=32)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_admin_key"
            )
        ]

    def __str__(self) -> str:
        return f"admin key {bytes(self.fingerprint).hex()[:16]}"


class Device(models.Model):
    """A staff or interpreter browser (or reference client) with its public keys."""

    class Role(models.TextChoices):
        STAFF = "staff", "staff"
        INTERPRETER = "interpreter", "interpreter"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        CERTIFIED = "certified", "certified"
        REVOKED = "revoked", "revoked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    label = models.CharField(max_length=100, blank=True)
    kem_public_key = models.BinaryField(max_length=65)
    sig_public_key = models.BinaryField(max_length=65)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    cert_not_after = models.DateTimeField(null=True, blank=True)
    cert_signature = models.BinaryField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField()
    certified_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The fresh KEM key (signed by this device's certified signing key) that
    # the next team key version is to be wrapped to, so that each version is sealed to
    # a KEM key of its own and the device can delete it when that version is destroyed.
    next_wrap_public_key = models.BinaryField(max_length=65, null=True, blank=True)
    next_wrap_signature = models.BinaryField(max_length=64, null=True, blank=True)
    # key_id (hex) of every KEM key of this device that sealed a destroyed team key
    # version: the device deletes those private keys, and nothing is wrapped to them again.
    retired_wrap_key_ids = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.role} device {self.id} ({self.state})"

    def certificate(self) -> DeviceCert:
        return DeviceCert(
            suite=1,
            device_id=str(self.id),
            role=self.role,
            kem_pk=bytes(self.kem_public_key),
            sig_pk=bytes(self.sig_public_key),
            not_after=unix(self.cert_not_after),
            sig=bytes(self.cert_signature),
        )


class TeamKey(models.Model):
    """A version of the team's HPKE public key, announced (signed) by the admin key."""

    version = models.PositiveIntegerField(unique=True)
    public_key = models.BinaryField(max_length=65)
    not_after = models.DateTimeField()
    signature = models.BinaryField(max_length=64)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # When the dashboards were told this version is due for rotation on schedule: once
    # per version, claimed by one conditional UPDATE (team_key_schedule_due_claim).
    schedule_due_told_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"team key v{self.version}"

    def announcement(self) -> TeamKeyAnnouncement:
        return TeamKeyAnnouncement(
            suite=1,
            version=self.version,
            pk=bytes(self.public_key),
            not_after=unix(self.not_after),
            sig=bytes(self.signature),
        )


class TeamKeyWrap(models.Model):
    """The team private key, HPKE-sealed to one certified staff device."""

    team_key = models.ForeignKey(TeamKey, on_delete=models.CASCADE, related_name="wraps")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="team_key_wraps")
    ciphertext = models.BinaryField(max_length=113)
    # The device KEM key this wrap is sealed to: its certificate's, or a wrap key it
    # published. One KEM key carries wraps of one team key version only.
    kem_public_key = models.BinaryField(max_length=65)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team_key", "device"], name="one_wrap_per_device")
        ]

    def __str__(self) -> str:
        return f"{self.team_key} → {self.device_id}"


class Conversation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SHA-256 of the visitor's random 32-byte token: a stolen table opens nothing.
    token_hash = models.BinaryField(max_length=32, unique=True)
    campaign_code = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    visitor_kem_public_key = models.BinaryField(max_length=65)
    visitor_sig_public_key = models.BinaryField(max_length=65)
    current_epoch = models.IntegerField(default=-1)
    current_commit_hash = models.BinaryField(max_length=32, null=True, blank=True)
    epoch_started_at = models.DateTimeField(null=True, blank=True)
    # No new envelope is accepted in an epoch up to this one (an interpreter who
    # could read it left); -1 = none. Set when an interpreter leaves, so that messages are
    # held by the clients until a staff device has made an epoch without them.
    epochs_closed_through = models.IntegerField(default=-1)
    last_order = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "-last_activity_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_order__gte=0, last_order__lte=MAX_SAFE_INT),
                name="conversation_order_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"conversation {self.id}"


class Commit(models.Model):
    """A signed epoch commit, stored in its wire form so clients get the exact object."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="commits")
    epoch = models.PositiveIntegerField()
    order = models.BigIntegerField()
    author = models.CharField(max_length=36)
    commit_hash = models.BinaryField(max_length=32)
    body_json = models.BinaryField()
    signature = models.BinaryField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "epoch"], name="one_commit_per_epoch"),
            models.UniqueConstraint(fields=["conversation", "order"], name="commit_order_unique"),
        ]

    def __str__(self) -> str:
        return f"epoch {self.epoch} of {self.conversation_id}"

    def body(self) -> CommitObject:
        return msgspec.json.decode(bytes(self.body_json), type=CommitObject)


class Wrap(models.Model):
    """The epoch secret HPKE-sealed to one member of a commit."""

    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="wraps")
    position = models.PositiveSmallIntegerField()
    member_kind = models.CharField(max_length=16)
    member_id = models.CharField(max_length=36)
    key_id = models.BinaryField(max_length=16)
    ciphertext = models.BinaryField(max_length=113)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commit", "position"], name="wrap_position_unique")
        ]
        indexes = [models.Index(fields=["member_id"])]

    def __str__(self) -> str:
        return f"wrap to {self.member_kind}:{self.member_id}"


class Envelope(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="envelopes"
    )
    order = models.BigIntegerField()
    epoch = models.PositiveIntegerField()
    sender = models.CharField(max_length=36)
    stream = models.BinaryField(max_length=16)
    seq = models.BigIntegerField()
    content_type = models.CharField(max_length=32)
    ciphertext = models.BinaryField()
    signature = models.BinaryField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "epoch", "sender", "stream", "seq"],
                name="envelope_idempotency_key",
            ),
            models.UniqueConstraint(fields=["conversation", "order"], name="envelope_order_unique"),
        ]

    def __str__(self) -> str:
        return f"envelope {self.order} of {self.conversation_id}"


class Participant(models.Model):
    """Who took part in a conversation, and how far they have received and read."""

    class Kind(models.TextChoices):
        VISITOR = "visitor", "visitor"
        STAFF = "staff", "staff"
        INTERPRETER = "interpreter", "interpreter"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # "visitor", or the device id of a staff or interpreter device.
    party_id = models.CharField(max_length=36)
    last_delivered_order = models.BigIntegerField(default=0)
    last_read_order = models.BigIntegerField(default=0)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "party_id"], name="one_participant_per_party"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} in {self.conversation_id}"


class ReturnCode(models.Model):
    """A visitor's return code (docs/protocol.md §10): never the code, only
    HMAC(pepper, lookup) and the state the visitor's client sealed with a key derived
    from the code. One per conversation (a new code replaces the old one); deleted with
    the conversation."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="return_code"
    )
    lookup_hmac = models.BinaryField(max_length=32, unique=True)
    sealed = models.BinaryField(max_length=1024)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"return code of {self.conversation_id}"


class Notice(models.Model):
    """A security decision for open sockets: a device revoked, a session ended, an
    interpreter's part ended, a conversation blocked (chat/notices.py). The channel
    layer's fan-out of it may be lost (Redis down); every `serve` process reads these
    rows too, so the sockets it concerns close anyway. Kept for an hour.

    ``group`` is the channel layer group the decision was sent to (a device id, a hash of
    a session key, a conversation id: nothing about a visitor), ``message`` the event."""

    group = models.CharField(max_length=100)
    message = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"notice {self.pk} to {self.group}"
