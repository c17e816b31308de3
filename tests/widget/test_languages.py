"""Which language a visitor gets (widget/languages.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from widget.languages import accept_language_parse, language_negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", []),
        ("fr", ["fr"]),
        ("bg-BG,bg;q=0.9,en;q=0.8", ["bg-BG", "bg", "en"]),
        ("en;q=0.5, ro", ["ro", "en"]),
        ("ru;q=0, en", ["en"]),
        ("*, zh;q=0.4", ["zh"]),
        ("en;q=nonsense, fr", ["fr"]),
    ],
)
def test_accept_language_is_read_best_first(header, expected):
    assert accept_language_parse(header) == expected


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("", "", "fr"),
        ("", "en-US,en;q=0.9", "en"),
        ("", "ro-RO,ro;q=0.9,en;q=0.7", "ro"),
        ("", "bg-BG,bg;q=0.9", "bg"),
        ("", "uk-UA,ru;q=0.8,en;q=0.5", "ru"),
        ("", "zh-CN", "zh"),
        ("", "zh-Hant-TW", "zh"),
        ("", "es-419", "es"),
        ("", "pt-BR,pt;q=0.9", "pt-BR"),
        ("", "pt-br", "pt-BR"),
        ("", "pt-PT,pt;q=0.9", "pt"),
        ("", "pt", "pt"),
        ("?lang=pt-BR", "fr", "pt-BR"),
        ("", "ar, tr", "fr"),
        ("?lang=en", "fr", "en"),
        ("?lang=xx", "en", "en"),
        ("?lang=EN", "", "en"),
    ],
)
def test_the_page_language_is_the_first_we_have(query, header, expected):
    request = RequestFactory().get(f"/c/abc{query}", HTTP_ACCEPT_LANGUAGE=header)
    assert language_negotiate(request) == expected
