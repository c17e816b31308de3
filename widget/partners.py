"""Partner sites that may frame the chat (settings.WIDGET_PARTNER_ORIGINS).

The origins go verbatim into a CSP header (`frame-ancestors`) and into the page's
configuration, so each must be a bare origin: a stray `;` or space would add a CSP
directive, a path would never match. widget/checks.py refuses to start with a bad one.
"""

from __future__ import annotations

import re

from django.conf import settings

ORIGIN_PATTERN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def origin_valid(origin: str) -> bool:
    return ORIGIN_PATTERN.fullmatch(origin) is not None


def partner_origins() -> list[str]:
    """The configured origins that are well formed (the system check reports the others)."""
    return [origin for origin in settings.WIDGET_PARTNER_ORIGINS if origin_valid(origin)]
