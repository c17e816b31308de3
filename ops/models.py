"""The staff side's records. Campaigns carry the chat link's code (DESIGN §6.1)."""

from __future__ import annotations

from django.db import models


class Campaign(models.Model):
    """An outreach round or a standing link (sticker, flyer, partner site)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
