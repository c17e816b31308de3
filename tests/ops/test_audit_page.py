"""The audit page's date filters, as a browser reads them (ops/audit_page.py)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def date_value(page: str, name: str) -> str:
    """The value of the page's <input type="date" name=...>."""
    field = re.search(rf'<input type="date" name="{name}"[^>]*>', page)
    assert field is not None, name
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else ""


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_period_chosen_is_shown_as_a_browser_reads_a_date(coordinator, language):
    """yyyy-mm-dd in every language, never 01/12/2025: a date field shows that as empty
    and will not send its form, so the coordinator would have to type both dates again."""
    response = coordinator.client.get(
        "/staff/audit/?since=2025-12-01&until=2025-12-31", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert date_value(page, "since") == "2025-12-01"
    assert date_value(page, "until") == "2025-12-31"
