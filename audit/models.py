"""Audit entries: who did what to what, and when. Never message content, never an
address or a user agent; conversation ids only (random, meaningless once deleted)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", _("signed in")
    LOGIN_FAILED = "login.failed", _("wrong password")
    LOGIN_LOCKED_OUT = "login.locked_out", _("sign-in locked after repeated failures")
    SECOND_FACTOR_FAILED = "two_factor.failed", _("wrong two-factor code")
    TWO_FACTOR_ENROLLED = "two_factor.enrolled", _("authenticator app set up")
    RECOVERY_CODE_USED = "two_factor.recovery_used", _("recovery code used")
    RECOVERY_CODES_MADE = "two_factor.recovery_codes_made", _("new recovery codes made")
    TWO_FACTOR_RESET = "two_factor.reset", _("two-factor authentication reset")
    SIGNED_OUT = "session.signed_out", _("signed out")
    SIGNED_OUT_EVERYWHERE = "session.signed_out_everywhere", _("signed out everywhere")
    DEVICE_CERTIFIED = "device.certified", _("device certified")
    DEVICE_REVOKED = "device.revoked", _("device revoked")
    ADMIN_KEY_INSTALLED = "admin_key.installed", _("admin key installed")
    ADMIN_KEY_REPLACED = "admin_key.replaced", _("admin key replaced")
    TEAM_KEY_PUBLISHED = "team_key.published", _("team key published")
    TEAM_KEY_WRAP_ADDED = "team_key.wrap_added", _("team key given to a device")
    TEAM_KEY_DESTROYED = "team_key.destroyed", _("team key destroyed")
    WRAP_KEY_PUBLISHED = (
        "device.wrap_key_published",
        _("device published its key for the next team key"),
    )
    INTERPRETER_JOINED = "interpreter.joined", _("interpreter joined a conversation")
    INTERPRETER_LEFT = "interpreter.left", _("interpreter left a conversation")
    INTERPRETER_REQUESTED = "interpreter.requested", _("interpreter requested")
    INTERPRETER_REQUEST_CLOSED = (
        "interpreter.request_closed",
        _("interpreter request cancelled or not taken"),
    )
    EXPORT_MADE = "export.made", _("export made")
    CONVERSATION_BLOCKED = "conversation.blocked", _("conversation blocked")
    CONVERSATION_DELETED = "conversation.deleted", _("conversation deleted")
    CANNED_CHANGED = "canned.changed", _("canned reply written, changed or deleted")
    CANNED_REVIEWED = "canned.reviewed", _("canned reply marked reviewed")
    CANNED_REVIEW_WITHDRAWN = "canned.review_withdrawn", _("canned reply review withdrawn")
    SELFHELP_CHANGED = "selfhelp.changed", _("self-help page changed")
    SELFHELP_IMPORTED = "selfhelp.imported", _("self-help pages imported")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), db_index=True)
    # SET_NULL: an entry outlives the account; ``actor_name`` says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The username at the time ("" for the helpline itself: a job, the expiry). For a
    # failed sign-in, the username that was typed (it may not exist).
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=64, choices=Action.choices)
    target = models.CharField(_("on"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.target}"
