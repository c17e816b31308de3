"""POST /c/<code>/opened (issue 8, widget/link_opens.py), from every side: always 204
and no cookie, known code or not, counted or not; an empty body only; POST only; not
counted when a browser says another site sent it, nor past the per-process budget; the
sender's address is neither stored nor logged."""

from __future__ import annotations

import logging

import pytest

from ops.models import CampaignOpenDay

pytestmark = pytest.mark.usefixtures("link_opens_fresh")
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def beacon(client, code: str, headers: dict | None = None, **extra):
    """An empty POST, as widget/link-opened.js sends (the test client's default body
    is a multipart form)."""
    return client.post(
        f"/c/{code}/opened", data=b"", content_type="", headers=headers or {}, **extra
    )


def counted() -> int:
    return sum(CampaignOpenDay.objects.values_list("opens", flat=True))


def test_the_page_script_open_is_counted_and_answered_with_nothing(client, helpline):
    response = beacon(client, helpline.campaign, SAME_ORIGIN)
    assert (response.status_code, response.content, counted()) == (204, b"", 1)
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


@pytest.mark.parametrize("code", ["UNKNOWN9", "x" * 40])
def test_an_unknown_code_gets_the_same_answer_and_counts_nothing(client, helpline, code):
    response = beacon(client, code, SAME_ORIGIN)
    assert (response.status_code, response.content, counted()) == (204, b"", 0)
    assert not response.cookies


def test_a_body_is_refused(client, helpline):
    response = client.post(
        f"/c/{helpline.campaign}/opened", data="{}", content_type="application/json"
    )
    assert (response.status_code, counted()) == (400, 0)


def test_a_get_of_the_endpoint_counts_nothing(client, helpline):
    assert client.get(f"/c/{helpline.campaign}/opened").status_code == 405
    assert counted() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
    ],
)
def test_an_open_another_site_made_a_browser_send_is_not_counted(client, helpline, headers):
    response = beacon(client, helpline.campaign, headers)
    assert (response.status_code, counted()) == (204, 0)


@pytest.mark.parametrize("headers", [{}, {"Origin": "null"}, SAME_ORIGIN])
def test_an_older_browser_or_a_no_referrer_page_is_counted(client, helpline, headers):
    # The chat page is `Referrer-Policy: no-referrer`: its POSTs say `Origin: null`.
    beacon(client, helpline.campaign, headers)
    assert counted() == 1


def test_a_burst_past_the_budget_is_answered_alike_and_not_counted(client, helpline, settings):
    settings.WIDGET_LINK_OPENS_PER_MINUTE = 3
    statuses = [beacon(client, helpline.campaign, SAME_ORIGIN).status_code for _ in range(10)]
    assert statuses == [204] * 10
    assert counted() == 3


def test_the_senders_address_is_neither_stored_nor_logged(client, helpline, caplog):
    address = "203.0.113.77"
    with caplog.at_level(logging.DEBUG):
        beacon(client, helpline.campaign, SAME_ORIGIN, REMOTE_ADDR=address)
        client.post("/c/x/opened", data="x", content_type="text/plain", REMOTE_ADDR=address)
    assert counted() == 1
    assert address not in caplog.text
    assert address not in repr(list(CampaignOpenDay.objects.values()))
