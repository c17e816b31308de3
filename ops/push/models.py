"""Push subscriptions and the outbox (ops/push/__init__.py).

A subscription is what the browser's ``PushManager.subscribe()`` gave: the push
service's endpoint URL and the two keys payloads are encrypted to (RFC 8291). The
endpoint is as sensitive as an address: it lets whoever holds it wake that browser. It
is kept only as long as what it belongs to: a staff device's session, or a visitor's
conversation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

ENDPOINT_MAX_LENGTH = 1024


class StaffPushSubscription(models.Model):
    """A staff browser that asked to be told ("me prévenir sur cet appareil").

    Tied to the certified device the dashboard runs as and to the sign-in session it was
    made in: revoking the device or ending the session deletes it at once (CASCADE for
    the session; ``staff_device_revoke`` for the device, whose row stays)."""

    endpoint = models.URLField(max_length=ENDPOINT_MAX_LENGTH, unique=True)
    p256dh = models.BinaryField(max_length=65)
    auth = models.BinaryField(max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    device = models.ForeignKey(
        "chat.Device", on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    session = models.ForeignKey(
        "staff_auth.StaffSession", on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"push subscription of device {self.device_id}"


class VisitorPushSubscription(models.Model):
    """A visitor's phone that asked to be told when the team answers. Deleted with its
    conversation (CASCADE: expiry, delete now), when the conversation is blocked, and
    when the visitor unticks or leaves with quick exit."""

    endpoint = models.URLField(max_length=ENDPOINT_MAX_LENGTH, unique=True)
    p256dh = models.BinaryField(max_length=65)
    auth = models.BinaryField(max_length=16)
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return "visitor push subscription"


class PushOutbox(models.Model):
    """One push due: written in the transaction of what caused it, sent by the job.

    Rows for the same subscription and kind are sent as one push whose count is their
    number (and the push service collapses what it still holds under the same Topic).
    ``lease`` marks the rows a sending run claimed (a conditional UPDATE), so two
    workers never send the same row."""

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "new conversation"
        MESSAGE = "message", "new message"
        REPLY = "reply", "reply to a visitor"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    staff_subscription = models.ForeignKey(
        StaffPushSubscription, on_delete=models.CASCADE, null=True, related_name="outbox"
    )
    visitor_subscription = models.ForeignKey(
        VisitorPushSubscription, on_delete=models.CASCADE, null=True, related_name="outbox"
    )
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease = models.UUIDField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff_subscription__isnull=True)
                ^ models.Q(visitor_subscription__isnull=True),
                name="push_outbox_one_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"push {self.kind} due {self.due_at:%H:%M:%S}"
