"""The widget's settings are checked at start-up (widget/checks.py)."""

from __future__ import annotations

import pytest

from widget.checks import widget_settings_check


def test_well_formed_settings_pass(settings):
    settings.WIDGET_PARTNER_ORIGINS = ["https://partner.example", "http://127.0.0.1:8080"]
    settings.WIDGET_EXIT_URL = "https://weather.example/"
    assert widget_settings_check(None) == []


def test_a_partner_origin_with_a_path_or_a_directive_is_refused(settings):
    settings.WIDGET_PARTNER_ORIGINS = ["https://partner.example/page", "https://a.example; x"]
    settings.WIDGET_EXIT_URL = "https://weather.example/"
    assert [error.id for error in widget_settings_check(None)] == ["widget.E001", "widget.E001"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//elsewhere.example/", "https://", "bye"])
def test_an_exit_url_that_is_not_a_web_page_is_refused(settings, url):
    settings.WIDGET_PARTNER_ORIGINS = []
    settings.WIDGET_EXIT_URL = url
    assert [error.id for error in widget_settings_check(None)] == ["widget.E002"]


def test_an_exit_path_on_this_site_is_accepted(settings):
    settings.WIDGET_PARTNER_ORIGINS = []
    settings.WIDGET_EXIT_URL = "/healthz"
    assert widget_settings_check(None) == []
