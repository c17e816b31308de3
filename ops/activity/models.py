"""Anonymous activity counts (DESIGN §6.5): what outlives a conversation.

Before a conversation is deleted (expiry or the visitor's "delete now"), it adds one to
the counts of its day. A row says "on this day, from this campaign, in this language,
with this outcome: so many conversations, so many where the visitor wrote, so many
answered, first answers within such a time". No conversation id, no time finer than a
day, no message count, no staff member: nothing ties a row back to a conversation.
Topics are counted in a table of their own, so topics and outcome cannot be combined to
single one out.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """What a conversation was about, as the staff member who had it chose."""

    CONDOMS = "condoms", _("condoms and lubricant")
    PREP = "prep", _("PrEP")
    PEP = "pep", _("PEP (after a risk)")
    TESTING = "testing", _("testing")
    CONTRACEPTION = "contraception", _("contraception")
    ABORTION = "abortion", _("abortion")
    VIOLENCE = "violence", _("violence")
    RIGHTS = "rights", _("rights, papers")
    HOUSING = "housing", _("housing, food")
    EXIT = "exit", _("exit programme")
    HEALTH = "health", _("other health")
    TALK = "talk", _("wanting to talk")


class Outcome(models.TextChoices):
    INFORMED = "informed", _("information given")
    REFERRED = "referred", _("referral made")
    APPOINTMENT = "appointment", _("appointment or meeting")
    NO_FOLLOW_UP = "none", _("no follow-up")


class ConversationOutcome(models.Model):
    """The topics and outcome staff chose for a live conversation. Deleted with it;
    only the counts it adds to remain."""

    conversation = models.OneToOneField(
        "chat.Conversation", on_delete=models.CASCADE, primary_key=True, related_name="outcome"
    )
    topics = models.JSONField(default=list)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    def __str__(self) -> str:
        return f"outcome of {self.conversation_id}"


class ActivityDay(models.Model):
    """Counts for one day (the helpline's local date a conversation started), campaign,
    language and outcome."""

    day = models.DateField()
    campaign_code = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    conversations = models.PositiveIntegerField(default=0)
    visitor_wrote = models.PositiveIntegerField(default=0)
    staff_answered = models.PositiveIntegerField(default=0)
    deleted_by_visitor = models.PositiveIntegerField(default=0)
    # Conversations that went on past settings.HELPLINE_LONG_CONVERSATION
    # messages (a real exchange, not one question).
    long_conversations = models.PositiveIntegerField(default=0)
    # First answer after the visitor's first message, in buckets (never the time itself).
    answered_within_15_minutes = models.PositiveIntegerField(default=0)
    answered_within_1_hour = models.PositiveIntegerField(default=0)
    answered_within_1_day = models.PositiveIntegerField(default=0)
    answered_later = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "campaign_code", "language", "outcome"], name="one_activity_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.campaign_code or '-'} {self.language} {self.outcome or '-'}"


class ActivityTopic(models.Model):
    day = models.DateField()
    campaign_code = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    conversations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "campaign_code", "language", "topic"], name="one_topic_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.topic}"
