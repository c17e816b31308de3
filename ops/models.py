"""The staff side's records. Campaigns carry the chat link's code (DESIGN §6.1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_PUBLIC_LABEL = "L'équipe"


class Campaign(models.Model):
    """An outreach round or a standing link (sticker, flyer, partner site)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.public_label})"
