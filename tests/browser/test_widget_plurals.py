"""Plural forms in the widget's strings (widget/static/widget/i18n.js): the browser's own
Intl.PluralRules picks the form, so the catalogues must hold every category it picks for
a whole number of days, and Russian and Romanian must say 1 день / 3 дня / 5 дней and
1 zi / 2 zile / 20 de zile."""

from __future__ import annotations

import pytest

from tests.widget.test_catalogues import LANGUAGES, PLURAL_CATEGORIES

pytestmark = pytest.mark.browser


@pytest.fixture
def strings(page, helpline):
    page.goto(helpline.url + "/healthz")
    page.evaluate(
        """async (languages) => {
            window.i18n = await import("/static/widget/i18n.js");
            window.i18n.cataloguesAt(Object.fromEntries(
                languages.map((code) => [code, `/static/widget/i18n/${code}.json`]),
            ));
        }""",
        LANGUAGES,
    )
    return page


def test_the_browser_picks_only_categories_the_catalogues_hold(strings):
    picked = strings.evaluate(
        """(languages) => Object.fromEntries(languages.map((language) => {
          const rules = new Intl.PluralRules(language);
          const categories = new Set();
          for (let n = 0; n <= 1000; n++) categories.add(rules.select(n));
          return [language, [...categories].sort()];
        }))""",
        LANGUAGES,
    )
    for language in LANGUAGES:
        assert set(picked[language]) <= PLURAL_CATEGORIES[language], language


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", {1: "1 день", 3: "3 дня", 5: "5 дней", 11: "11 дней", 21: "21 день", 30: "30 дней"}),
        ("ro", {1: "1 zi", 2: "2 zile", 19: "19 zile", 20: "20 de zile", 30: "30 de zile"}),
        ("fr", {1: "1 jour", 30: "30 jours"}),
        ("en", {1: "1 day", 30: "30 days"}),
    ],
)
def test_the_expiry_notice_agrees_with_its_number(strings, language, expected):
    said = strings.evaluate(
        """async ([language, counts]) => {
          await window.i18n.languageUse(language);
          return counts.map((days) => window.i18n.t("expiry_policy", { days }));
        }""",
        [language, list(expected)],
    )
    for text, words in zip(said, expected.values(), strict=True):
        assert words in text, (language, text)
