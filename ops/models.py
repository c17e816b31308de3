"""The staff side's records. Campaigns carry the chat link's code (DESIGN §6.1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

DEFAULT_PUBLIC_LABEL = "L'équipe"
DEFAULT_CAPACITY = 4
# A sealed note: HPKE enc (65 bytes, P-256) ‖ AES-GCM ciphertext of at most 4,000 bytes of
# UTF-8 text plus its 16-byte tag (docs/protocol.md §6.4).
NOTE_TEXT_MAX_BYTES = 4000
NOTE_CIPHERTEXT_MIN_BYTES = 65 + 16
NOTE_CIPHERTEXT_MAX_BYTES = 65 + NOTE_TEXT_MAX_BYTES + 16


class Skill(models.TextChoices):
    """What a conversation may ask for and a staff member may bring (DESIGN §6.2)."""

    MINORS = "minors", _("minors")
    TRANS = "trans", _("trans people")
    HEALTH = "health", _("health")
    LEGAL = "legal", _("legal")
    SOCIAL = "social", _("social")


class Channel(models.TextChoices):
    """Where a campaign's link reaches people: the first three are outreach
    rounds (a date, a team, messages sent), the others standing links."""

    SITE = "site", _("escort or ads site")
    APP = "app", _("dating app")
    SOCIAL = "social", _("social network")
    STICKER = "sticker", _("sticker")
    FLYER = "flyer", _("flyer or card")
    PARTNER = "partner", _("partner website")


ROUND_CHANNELS = (Channel.SITE, Channel.APP, Channel.SOCIAL)


class Campaign(models.Model):
    """An outreach round ("tournée": a site or app, a date, a team, a template message)
    or a standing link (sticker, flyer, partner site). Nothing here is about a person:
    ``messages_sent`` is a number the outreach worker enters, never a phone number."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField()
    # A campaign aimed at minors routes its conversations to staff with that skill.
    skill = models.CharField(_("skill asked for"), max_length=16, choices=Skill.choices, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.SITE
    )
    place = models.CharField(_("site or app"), max_length=100, blank=True)
    date = models.DateField(_("date of the round"), null=True, blank=True)
    team = models.CharField(_("team"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    message = models.TextField(_("template message"), max_length=1000, blank=True)
    messages_sent = models.PositiveIntegerField(_("messages sent"), null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def is_round(self) -> bool:
        return self.channel in ROUND_CHANNELS


class Association(models.Model):
    """The association as the visitor's page names it, discreetly, under the welcome: its
    name and one line (what it is, where) — someone wary of a scam looks for who is
    behind a link. One row, set by a coordinator on the campaigns page; none: nothing
    shown. Public by nature: nothing here is secret or about a person."""

    name = models.CharField(_("name"), max_length=80)
    line = models.CharField(
        _("one line"),
        max_length=140,
        blank=True,
        help_text=_("e.g. what the association does and where: a city, a website."),
    )

    class Meta:
        verbose_name = _("association shown to visitors")
        verbose_name_plural = _("association shown to visitors")

    def __str__(self) -> str:
        return self.name


class CampaignOpenDay(models.Model):
    """How many times a campaign's link was opened on a day (the helpline's local
    date), as the chat page's script reports it (a link preview's fetch counts
    nothing). A counter, incremented by one UPDATE: no IP, no cookie, no time finer than
    the day — a reload counts again, so these are opens, not people."""

    campaign_code = models.CharField(max_length=32)
    day = models.DateField()
    opens = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign_code", "day"], name="one_open_row")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.campaign_code} {self.opens}"


class Presence(models.TextChoices):
    AVAILABLE = "available", _("available")
    BUSY = "busy", _("busy")
    AWAY = "away", _("away")


class StaffProfile(models.Model):
    """What the helpline knows of a staff member beyond their Django account.

    ``public_label`` is what visitors see next to this person's messages; it travels
    end-to-end encrypted (a ``profile`` event, docs/protocol.md), never through the
    server in clear. A role ("Infirmière") by default; a first name only if they choose.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    public_label = models.CharField(
        _("label shown to visitors"), max_length=64, default=DEFAULT_PUBLIC_LABEL
    )
    is_coordinator = models.BooleanField(
        _("coordinator"),
        default=False,
        help_text=_("Sets the helpline up: admin key, device certificates, team keys."),
    )
    is_interpreter = models.BooleanField(
        _("interpreter"),
        default=False,
        help_text=_("Registers interpreter devices instead of staff devices."),
    )
    # Routing (ops/routing/services.py): the best match for a conversation speaks its language and
    # has the skill it asks for; nobody gets more than `capacity` open conversations.
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_('Language codes, e.g. ["fr", "bg"].')
    )
    skills = models.JSONField(
        _("skills"),
        default=list,
        blank=True,
        help_text=_("Among: minors, trans, health, legal, social."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=DEFAULT_CAPACITY, help_text=_("Most open conversations at once.")
    )
    # Presence (ops/routing/presence.py): what the person chose; what colleagues and visitors are
    # shown also depends on whether a dashboard of theirs is connected.
    presence = models.CharField(
        _("presence"), max_length=16, choices=Presence.choices, default=Presence.AVAILABLE
    )
    # The presence last announced to dashboards, so that a change only time reveals (the
    # grace after the last tab closed ran out) is announced once, by whichever job sees it.
    presence_shown = models.CharField(
        max_length=16, choices=Presence.choices, default=Presence.AWAY, editable=False
    )
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    open_sockets = models.PositiveIntegerField(default=0, editable=False)
    # Interpreters: offered requests for their languages until then.
    on_call_until = models.DateTimeField(_("on call until"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__lte=50), name="capacity_at_most_50"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.public_label})"


class RotaEntry(models.Model):
    """What a weekly slot and a one-off shift share. Times are wall-clock times in the
    helpline's time zone (settings.TIME_ZONE); an end at or before the start ends on the
    next day (a night shift). Subclasses add `staff`, the people on it."""

    label = models.CharField(_("label"), max_length=100)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    skill = models.CharField(_("focus"), max_length=16, choices=Skill.choices, blank=True)

    class Meta:
        abstract = True


class Slot(RotaEntry):
    """A weekly "permanence": every given weekday, except on closures."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="rota_slots", verbose_name=_("staff")
    )

    class Meta:
        verbose_name = _("weekly slot")
        verbose_name_plural = _("weekly slots")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="slot_weekday_0_to_6"),
            models.CheckConstraint(condition=~Q(start=F("end")), name="slot_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M} {self.label}"


class Shift(RotaEntry):
    """A one-off shift on a date. It opens even on a closure day: it was put there on
    purpose."""

    date = models.DateField(_("date"))
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="rota_shifts", verbose_name=_("staff")
    )

    class Meta:
        verbose_name = _("one-off shift")
        verbose_name_plural = _("one-off shifts")
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(condition=~Q(start=F("end")), name="shift_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.start:%H:%M}–{self.end:%H:%M} {self.label}"


class Closure(models.Model):
    """Days (inclusive) when weekly slots do not open: public holidays, team days off."""

    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="closure_ends_after_it_starts"
            ),
            models.UniqueConstraint(fields=["start_date", "reason"], name="one_closure_per_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date} {self.reason}"


class Route(models.Model):
    """Where a conversation is in the staff's hands: waiting in the queue, assigned to
    someone, or closed. One per conversation, deleted with it (expiry leaves nothing)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        ASSIGNED = "assigned", _("assigned")
        CLOSED = "closed", _("closed")

    conversation = models.OneToOneField(
        "chat.Conversation", on_delete=models.CASCADE, primary_key=True, related_name="route"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    language = models.CharField(max_length=16)
    skill = models.CharField(max_length=16, choices=Skill.choices, blank=True)
    # Kept when the conversation goes back to the queue, so it keeps its place.
    waiting_since = models.DateTimeField()
    # PROTECT: an account with conversations in hand is not deleted before they are
    # handed over (closed routes keep no one, so they never stand in the way).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routes",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # Came back from a shift that ended (or was transferred): the next person reads the notes.
    handed_over = models.BooleanField(default=False)
    # The order of the visitor's last message: what "unread" is counted against.
    visitor_last_order = models.BigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "waiting_since"]),
            models.Index(fields=["assigned_to", "state"]),
        ]
        constraints = [
            # Assigned means to someone; waiting and closed mean to no one.
            models.CheckConstraint(
                condition=Q(state="assigned", assigned_to__isnull=False)
                | (~Q(state="assigned") & Q(assigned_to__isnull=True)),
                name="route_assigned_to_someone_iff_assigned",
            ),
        ]

    def __str__(self) -> str:
        return f"route {self.conversation_id} ({self.state})"


class Note(models.Model):
    """A hand-over or transfer note, sealed to the team key in a staff browser
    (docs/protocol.md §6.4). The server holds ciphertext only."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", _("hand-over")
        TRANSFER = "transfer", _("transfer")

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="staff_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    ciphertext = models.BinaryField(max_length=NOTE_CIPHERTEXT_MAX_BYTES)
    team_key_version = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} note on {self.conversation_id}"


class ShiftEvent(models.Model):
    """What the shift job did for a shift instance: inserted in the same transaction as
    the action, so with several workers the first insert wins and the others skip."""

    class Kind(models.TextChoices):
        OPENED = "opened", "opened"
        REMINDED = "reminded", "reminded"
        ENDED = "ended", "ended"

    instance_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance_key", "kind"], name="one_event_per_instance")
        ]

    def __str__(self) -> str:
        return f"{self.instance_key} {self.kind}"


# Models kept in packages of their own, imported here so they are models of this app
# (migrations, admin): the anonymous activity counts and the outcome staff choose
# (ops/activity/); canned replies (ops/canned/).
from ops.activity.models import ActivityDay, ActivityTopic, ConversationOutcome  # noqa: E402, F401
from ops.canned.models import CannedReply, CannedText, CannedVariable  # noqa: E402, F401

# Interpreter requests: ops/interpreting/.
from ops.interpreting.models import InterpreterRequest  # noqa: E402, F401

# Web Push subscriptions and their outbox: ops/push/.
from ops.push.models import (  # noqa: E402, F401
    PushOutbox,
    StaffPushSubscription,
    VisitorPushSubscription,
)

# The self-help pages beside the chat: ops/selfhelp/.
from ops.selfhelp.models import (  # noqa: E402, F401
    SelfHelpAnswer,
    SelfHelpSectionText,
    SelfHelpText,
)
