"""Campaign codes: what chat asks through settings.CHAT_CAMPAIGN_VALIDATOR."""

from __future__ import annotations

import secrets
from datetime import datetime

from ops.models import Campaign

CODE_BYTES = 6  # 8 URL-safe characters: short to type, 2^48 to guess


def campaign_code_known(code: str) -> bool:
    return Campaign.objects.filter(code=code).exists()


def campaign_create(*, name: str, now: datetime, code: str | None = None) -> Campaign:
    return Campaign.objects.create(
        code=code or secrets.token_urlsafe(CODE_BYTES), name=name, created_at=now
    )
