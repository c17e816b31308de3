"""The self-help pages' records. Imported by ops/models.py, so they belong to the `ops`
app (its migrations, its admin). Public content: nothing here is about a visitor."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ops.canned.models import CannedReply, language_validator
from ops.canned.rules import LANGUAGE_MAX

QUESTION_MAX = 160
TITLE_MAX = 80
MARKDOWN_MAX = 4000


class Section(models.TextChoices):
    """The four sections of the pages, in the order the home lists them (the ROSE
    platform's Santé, Besoin d'aide ?, J'ai des droits, C'est qui ROSE ?)."""

    HEALTH = "health", _("Health")
    HELP = "help", _("Need help?")
    RIGHTS = "rights", _("My rights")
    ABOUT = "about", _("Who we are")


class SelfHelpSectionText(models.Model):
    """A section's title and short introduction (Markdown) in one language."""

    section = models.CharField(_("section"), max_length=16, choices=Section.choices)
    language = models.CharField(
        _("language"), max_length=LANGUAGE_MAX, validators=[language_validator]
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    intro = models.TextField(_("introduction"), max_length=MARKDOWN_MAX, blank=True)

    class Meta:
        verbose_name = _("self-help section text")
        verbose_name_plural = _("self-help section texts")
        ordering = ["section", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "language"], name="one_section_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.section} [{self.language}]"


class SelfHelpAnswer(models.Model):
    """One short answer: a question, a few plain sentences, where to go.

    The sentences are the canned reply's text in the visitor's language when ``canned``
    is set (one source of truth: what staff send and what the page says are the same
    reviewed text), else the answer's own Markdown ``body`` per language.
    """

    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_("Names the answer in import and export files, e.g. condoms."),
    )
    section = models.CharField(_("section"), max_length=16, choices=Section.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # SET_NULL: deleting a canned reply leaves the answer, which then says it has no text.
    canned = models.ForeignKey(
        CannedReply,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="selfhelp_answers",
        verbose_name=_("text from the canned reply"),
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("self-help answer")
        verbose_name_plural = _("self-help answers")
        ordering = ["section", "position", "key"]

    def __str__(self) -> str:
        return f"{self.section}/{self.key}"


class SelfHelpText(models.Model):
    """An answer in one language: its question, its own text (Markdown; unused while
    the answer takes its text from a canned reply) and where to go (Markdown)."""

    answer = models.ForeignKey(SelfHelpAnswer, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(
        _("language"), max_length=LANGUAGE_MAX, validators=[language_validator]
    )
    question = models.CharField(_("question"), max_length=QUESTION_MAX)
    body = models.TextField(_("text"), max_length=MARKDOWN_MAX, blank=True)
    where = models.TextField(_("where to go"), max_length=MARKDOWN_MAX, blank=True)

    class Meta:
        verbose_name = _("self-help text")
        verbose_name_plural = _("self-help texts")
        ordering = ["answer", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "language"], name="one_selfhelp_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.answer.key} [{self.language}]"
