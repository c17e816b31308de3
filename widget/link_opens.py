"""Counting a campaign link's opens from the page's own script, not from the
GET: a messaging app that fetches `/c/<code>` to render a link preview (WhatsApp,
Telegram, Signal do), or a crawler, runs no script and counts nothing.

The page's script sends one empty POST to `/c/<code>/opened` per page load
(widget/static/widget/link-opened.js; a flag in memory, nothing kept on the phone, so a
reload of the tab counts once more). The endpoint always answers 204, known code or
not, counted or not: it reveals no code and no limit. What it does not count:

- a request a browser marks as coming from another site (`Sec-Fetch-Site`, `Origin`):
  another web page cannot make its visitors' browsers inflate the count;
- beyond WIDGET_LINK_OPENS_PER_MINUTE per process, all codes together, known or not (a
  token bucket in this process's memory: a burst costs no database read or write; it
  can use up the budget, and real opens then go uncounted for a minute);
- beyond HELPLINE_CAMPAIGN_OPENS_PER_DAY for one campaign on one day (ops/campaigns/services.py:
  the ceiling holds across every process).

Nothing about the sender is read beyond those two headers, and nothing is stored or
logged. A script that forges the headers can still add opens up to those ceilings:
docs/operations.md says how to read the figure.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from chat.ratelimit import SharedBuckets

# One bucket for all codes together (SharedBuckets keyed by one name).
link_opens_buckets = SharedBuckets()
LINK_OPENS_KEY = "link-opens"


def link_open_same_origin(request: HttpRequest) -> bool:
    """False when the browser says the POST came from another site. Browsers without
    `Sec-Fetch-Site` pass; `Origin: null` (what a `no-referrer` page sends on a POST,
    as the chat page is) passes too."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.get_host()


def link_open_admit() -> bool:
    per_minute = settings.WIDGET_LINK_OPENS_PER_MINUTE
    return link_opens_buckets.take(LINK_OPENS_KEY, rate=per_minute / 60, burst=per_minute) is None
