"""Campaigns: codes for the chat link, what the coordinator edits, the sent
count the outreach worker enters, and the link-open counter. Chat asks about codes
through settings.CHAT_CAMPAIGN_VALIDATOR, the chat link page reports opens through
settings.WIDGET_LINK_OPENED_HOOK."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ops.models import Campaign, CampaignOpenDay

CODE_BYTES = 6  # 8 URL-safe characters: short to type, 2^48 to guess
EDITABLE = ("name", "channel", "place", "date", "team", "language", "message", "skill")


def campaign_code_known(code: str) -> bool:
    return Campaign.objects.filter(code=code).exists()


def campaign_code_new() -> str:
    # No "-" or "_" at either end: a link cut at a line end stays whole.
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if code[0] not in "-_" and code[-1] not in "-_":
            return code


def campaign_create(
    *, name: str, now: datetime, code: str | None = None, **fields: object
) -> Campaign:
    unknown = set(fields) - set(EDITABLE) - {"messages_sent"}
    if unknown:
        raise TypeError(f"not campaign fields: {sorted(unknown)}")
    return Campaign.objects.create(
        code=code or campaign_code_new(), name=name, created_at=now, **fields
    )


def campaign_update(*, campaign: Campaign, **fields: object) -> Campaign:
    """What the coordinator may change; the code never changes (links are printed)."""
    for name, value in fields.items():
        if name not in EDITABLE:
            raise TypeError(f"not an editable campaign field: {name}")
        setattr(campaign, name, value)
    campaign.save(update_fields=list(fields))
    return campaign


def campaign_sent_record(*, campaign: Campaign, messages_sent: int) -> Campaign:
    """The outreach worker's count of messages the round sent: a number, nothing else."""
    Campaign.objects.filter(pk=campaign.pk).update(messages_sent=messages_sent)
    campaign.messages_sent = messages_sent
    return campaign


def campaign_link_opened(*, code: str, day: date) -> None:
    """settings.WIDGET_LINK_OPENED_HOOK: one more open of a known campaign's link on
    this day, up to HELPLINE_CAMPAIGN_OPENS_PER_DAY (what forged opens can add at most).
    One conditional UPDATE adds one whatever the number of processes; the row is made by
    the first open of the day (a second maker loses the unique race and updates)."""
    if not campaign_code_known(code):
        return
    rows = CampaignOpenDay.objects.filter(campaign_code=code, day=day)
    below_ceiling = rows.filter(opens__lt=settings.HELPLINE_CAMPAIGN_OPENS_PER_DAY)
    if below_ceiling.update(opens=F("opens") + 1):
        return
    if not rows.exists():  # at the ceiling, or the day's first open
        try:
            with transaction.atomic():
                CampaignOpenDay.objects.create(campaign_code=code, day=day, opens=1)
            return
        except IntegrityError:
            pass
    # Another process made the row since our UPDATE: ours counts on it, ceiling kept.
    below_ceiling.update(opens=F("opens") + 1)
