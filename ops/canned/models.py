"""The canned replies' records. Imported by ops/models.py, so they belong to the `ops`
app (its migrations, its admin).

Everything here is a public template: no conversation, no visitor, nothing sent. What a
staff member sends is the filled-in text, encrypted in their browser like any message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ops.canned import rules

shortcut_validator = RegexValidator(
    rules.SHORTCUT_PATTERN,
    _("Lower-case letters a–z, digits, - and _ only (no accents, no spaces)."),
)
language_validator = RegexValidator(
    rules.LANGUAGE_PATTERN,
    _("A two- or three-letter language code, with a region if needed: bg, pt-BR."),
)


class CannedReply(models.Model):
    """One prevention reply (condoms, PrEP, PEP…), in as many languages as it has texts.

    What the visitor reads (the texts) and what the facts rest on (the sources) make its
    ``version``; every change of them is a new version, and a new version is not
    reviewed. ``reviewed`` is true only while the version a coordinator marked reviewed
    (``reviewed_version``, by ``reviewed_by`` at ``reviewed_at``) is the current one — the
    database refuses anything else. After a change, ``reviewed_version`` still says which
    earlier version was reviewed, by whom and when (ops/canned/services.py).
    """

    shortcut = models.CharField(
        _("shortcut"),
        max_length=32,
        unique=True,
        validators=[shortcut_validator],
        help_text=_("Typed after a slash in the message field, e.g. prep for /prep."),
    )
    title = models.CharField(_("title"), max_length=rules.TITLE_MAX)
    tags = models.JSONField(
        _("tags"),
        default=list,
        blank=True,
        help_text=_('Words to find it by, in any language, e.g. ["PrEP", "ПрЕП", "HIV"].'),
    )
    reviewed = models.BooleanField(
        _("reviewed"),
        default=False,
        help_text=_(
            "This version was checked by the association's medical and legal staff. "
            "Starter texts are not."
        ),
    )
    sources = models.JSONField(
        _("sources"), default=list, blank=True, help_text=_("Where the facts come from.")
    )
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("One more at every change of the texts or sources.")
    )
    reviewed_version = models.PositiveIntegerField(_("version reviewed"), null=True, blank=True)
    # SET_NULL: a review outlives the account; ``reviewed_by_name`` says who it was.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_by_name = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcut"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reviewed=False)
                | models.Q(reviewed_version=models.F("version"), reviewed_at__isnull=False),
                name="reviewed_is_the_current_version",
            )
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} — {self.title}"


class CannedText(models.Model):
    """The text of a canned reply in one language."""

    reply = models.ForeignKey(CannedReply, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(
        _("language"), max_length=rules.LANGUAGE_MAX, validators=[language_validator]
    )
    title = models.CharField(
        _("title in this language"),
        max_length=rules.TITLE_MAX,
        blank=True,
        help_text=_("Optional: lets staff find it in this language too."),
    )
    body = models.TextField(
        _("text"),
        validators=[MaxLengthValidator(rules.BODY_MAX)],
        help_text=_(
            "Sent to the visitor. Variables: {next_opening}, {address}, {hours}, "
            "{testing_centre}, {phone}."
        ),
    )

    class Meta:
        verbose_name = _("text")
        verbose_name_plural = _("texts")
        ordering = ["reply", "language"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "language"], name="one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"/{self.reply.shortcut} [{self.language}]"


class CannedVariable(models.Model):
    """The helpline's value of a variable, for one language or (language "") for all;
    a language's own value wins over the one for all."""

    class Name(models.TextChoices):
        ADDRESS = "address", _("address")
        HOURS = "hours", _("opening hours")
        TESTING_CENTRE = "testing_centre", _("testing centre")
        PHONE = "phone", _("phone number")

    name = models.CharField(_("variable"), max_length=32, choices=Name.choices)
    language = models.CharField(
        _("language"),
        max_length=rules.LANGUAGE_MAX,
        blank=True,
        validators=[language_validator],
        help_text=_("Empty: the value for every language without one of its own."),
    )
    value = models.CharField(_("value"), max_length=rules.VALUE_MAX)

    class Meta:
        verbose_name = _("variable value")
        verbose_name_plural = _("variable values")
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="one_value_per_language")
        ]

    def __str__(self) -> str:
        return f"{{{self.name}}} [{self.language or '*'}]"
