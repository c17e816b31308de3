"""Campaign counts on the live stack (issue 8): two Daphne workers on PostgreSQL and
Redis. Fetching a campaign's link (what a messaging app does for a preview) counts
nothing; the opens the chat page's script reports, hitting both workers at once, are
all counted (one UPDATE per open, the day's row made once); conversations opened from
that campaign on either worker are counted by the report, before and after
`chat_expire` (a separate process), and after expiry nothing in the database names
them."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat.client import VisitorClient

pytestmark = pytest.mark.integration

CODE = "LIVEcamp"
OPENS = 24
FUNNEL = """
import json
from django.utils import timezone
from ops.report.figures import Period, report_figures
today = timezone.localdate()
steps = report_figures(Period(today.replace(day=1), today)).funnel.get("{code}", {{}})
print(json.dumps(dict(steps)))
"""


def campaign_make(stack) -> None:
    stack.manage(
        "shell",
        "-c",
        "from django.utils import timezone; from ops.campaigns.services import campaign_create; "
        f"campaign_create(name='Live', code='{CODE}', channel='site', now=timezone.now())",
    )


def link_fetch(url: str) -> int:
    """A link preview bot: GET, no script."""
    with urllib.request.urlopen(f"{url}/c/{CODE}", timeout=30) as response:  # noqa: S310
        return response.status


def link_opened(url: str) -> int:
    """What widget/link-opened.js sends once per page load: an empty POST."""
    request = urllib.request.Request(  # noqa: S310
        f"{url}/c/{CODE}/opened", data=b"", method="POST", headers={"Sec-Fetch-Site": "same-origin"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status


def opens_counted(stack) -> list[tuple]:
    return stack.sql(
        "SELECT sum(opens), count(*) FROM ops_campaignopenday WHERE campaign_code = %s", [CODE]
    )


def funnel(stack) -> dict:
    lines = stack.manage("shell", "-c", FUNNEL.format(code=CODE)).stdout.strip().splitlines()
    return json.loads(lines[-1])


async def test_opens_and_conversations_on_two_workers_are_counted_and_survive_expiry(
    live_stack, admin_fingerprint
):
    campaign_make(live_stack)
    urls = live_stack.urls
    spread = [urls[i % 2] for i in range(OPENS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(link_fetch, spread)) == [200] * OPENS
        assert opens_counted(live_stack) == [(None, 0)]
        assert list(pool.map(link_opened, spread)) == [204] * OPENS
    assert opens_counted(live_stack) == [(OPENS, 1)]

    visitors = [
        VisitorClient([url], admin_fingerprint=admin_fingerprint, campaign=CODE) for url in urls
    ]
    ids = []
    try:
        for visitor in visitors:
            await visitor.start()
            ids.append(visitor.conversation_id)
        await visitors[0].send_text(ids[0], "bonjour, c'est gratuit ?")
    finally:
        for visitor in visitors:
            await visitor.stop()
    live = funnel(live_stack)
    assert (live["opens"], live["conversations"], live["visitor_wrote"]) == (OPENS, 2, 1)

    live_stack.sql(
        "UPDATE chat_conversation SET last_activity_at = now() - interval '31 days'"
        " WHERE campaign_code = %s",
        [CODE],
    )
    assert "Deleted 2 expired conversations." in live_stack.manage("chat_expire").stdout
    assert funnel(live_stack) == live
    dump = live_stack.pg_dump()
    assert all(conversation_id not in dump for conversation_id in ids)
    assert all(conversation_id.replace("-", "") not in dump for conversation_id in ids)
