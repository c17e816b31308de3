"""The widget's languages: which exist, and which one a visitor gets.

The chat link page picks the language of the browser (Accept-Language), French when it
offers none of ours; `?lang=xx` wins over both, so an outreach message written in
Bulgarian can link straight to the Bulgarian chat. Nothing is remembered (no cookie):
the visitor switches in the page, and the JS takes over from there.

Every language listed here has a catalogue `widget/static/widget/i18n/<code>.json` for
the JS (tests/widget/test_catalogues.py checks they all have the same keys) and, for the
few server-rendered strings, a Django translation in widget/locale/ (English is the
source language of those strings).
"""

from __future__ import annotations

from django.http import HttpRequest

DEFAULT_LANGUAGE = "fr"

# (code, name in that language), in the order the language switch lists them.
WIDGET_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("fr", "Français"),
    ("en", "English"),
    ("bg", "Български"),
    ("ro", "Română"),
    ("ru", "Русский"),
    ("es", "Español"),
    # Brazilian Portuguese first: many of the Portuguese-speaking people the service is
    # for come from Brazil. "pt-BR" (any case) gets it, every other "pt" Portugal's.
    ("pt-BR", "Português (Brasil)"),
    ("pt", "Português (Portugal)"),
    # Simplified Chinese: "zh-CN", "zh-Hans", "zh-TW"… all land here (primary subtag).
    ("zh", "中文"),
)


def language_codes() -> list[str]:
    return [code for code, _ in WIDGET_LANGUAGES]


def language_supported(tag: str) -> str | None:
    """Our language for a BCP 47 tag ("en-GB" → "en", "pt-br" → "pt-BR"), or None: the
    whole tag when we have it, else its primary subtag."""
    codes = {code.lower(): code for code in language_codes()}
    tag = tag.strip().lower()
    if tag in codes:
        return codes[tag]
    primary = tag.split("-")[0]
    return codes.get(primary)


def accept_language_parse(header: str) -> list[str]:
    """The tags of an Accept-Language header, best first (q=0 dropped, ties keep order)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        parameters = parameters.strip()
        if parameters.startswith("q="):
            try:
                quality = float(parameters[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def language_negotiate(request: HttpRequest) -> str:
    chosen = language_supported(request.GET.get("lang", ""))
    if chosen:
        return chosen
    for tag in accept_language_parse(request.headers.get("Accept-Language", "")):
        chosen = language_supported(tag)
        if chosen:
            return chosen
    return DEFAULT_LANGUAGE
