"""An interpreter request and its life: pending → accepted → ended, or cancelled /
expired before anyone took it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class InterpreterRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("waiting for an interpreter")
        ACCEPTED = "accepted", _("interpreter in the conversation")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("nobody accepted in time")
        ENDED = "ended", _("interpreter left")

    class EndReason(models.TextChoices):
        LEFT = "left", _("the interpreter left")
        REMOVED = "removed", _("removed by staff")
        TIME_LIMIT = "time_limit", _("time limit reached")

    # CASCADE: deleted with the conversation (expiry leaves nothing behind).
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="interpreter_requests"
    )
    language = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    interpreter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The interpreter device the staff browser wraps the epoch secret to.
    device = models.ForeignKey(
        "chat.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    # A pending request nobody took by then expires (the staff member is told).
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The time limit of an accepted request: then the interpreter is out.
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "expires_at"])]
        constraints = [
            # One live request per conversation: a second one waits for the first to end.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(state__in=["pending", "accepted"]),
                name="one_live_interpreter_request",
            ),
            # An interpreter is in one conversation at a time (their view shows one).
            models.UniqueConstraint(
                fields=["interpreter"],
                condition=Q(state="accepted"),
                name="interpreter_in_one_conversation",
            ),
        ]

    def __str__(self) -> str:
        return f"interpreter ({self.language}) for {self.conversation_id}: {self.state}"
