"""System checks for the widget's settings: `manage.py serve` refuses to start on a
partner origin that is not a bare `scheme://host[:port]`."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

from widget.partners import origin_valid


@register()
def widget_settings_check(app_configs, **kwargs) -> list[Error]:
    errors = [
        Error(
            f"WIDGET_PARTNER_ORIGINS: {origin!r} is not an origin like https://partner.example",
            id="widget.E001",
        )
        for origin in settings.WIDGET_PARTNER_ORIGINS
        if not origin_valid(origin)
    ]
    if not exit_url_valid(settings.WIDGET_EXIT_URL):
        errors.append(
            Error(
                "WIDGET_EXIT_URL must be an http(s) URL of a harmless page (or a path on "
                "this site, starting with one /)",
                id="widget.E002",
            )
        )
    return errors


def exit_url_valid(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        return bool(parts.netloc)
    return not parts.scheme and not parts.netloc and url.startswith("/")
