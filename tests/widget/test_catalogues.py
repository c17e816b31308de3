"""The widget's translations: every language says everything, the same way."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from widget.languages import DEFAULT_LANGUAGE, WIDGET_LANGUAGES

LANGUAGES = [code for code, _ in WIDGET_LANGUAGES]
WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(language: str) -> dict:
    path = finders.find(f"widget/i18n/{language}.json")
    assert path, f"no catalogue for {language}"
    with open(path, encoding="utf-8") as source:
        return json.load(source)


def test_every_language_has_a_catalogue_named_in_its_own_language():
    for code, name in WIDGET_LANGUAGES:
        assert catalogue(code)["_meta"]["name"] == name


# Plural forms (widget/static/widget/i18n.js): `key|category`, chosen in the browser by
# Intl.PluralRules. The categories whole numbers fall into, per CLDR (checked against
# Chromium's Intl in tests/browser/test_widget_plurals.py); `other` is always required.
PLURAL_CATEGORIES = {
    "fr": {"one", "other"},
    "en": {"one", "other"},
    "bg": {"one", "other"},
    "ro": {"one", "few", "other"},
    "ru": {"one", "few", "many", "other"},
    "es": {"one", "other"},
    "pt-BR": {"one", "other"},
    "pt": {"one", "other"},
    "zh": {"other"},
}


def base_key(key: str) -> str:
    return key.split("|", 1)[0]


def reference_string(reference: dict, key: str) -> str:
    return reference.get(key) or reference[f"{base_key(key)}|other"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_has_the_same_keys(language):
    assert {base_key(k) for k in catalogue(language)} == {
        base_key(k) for k in catalogue(DEFAULT_LANGUAGE)
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_strings_have_the_forms_their_language_needs(language):
    strings = catalogue(language)
    plurals = {base_key(k) for k in catalogue(DEFAULT_LANGUAGE) if "|" in k}
    assert plurals, "the expiry notice has plural forms"
    for key in plurals:
        forms = {k.split("|", 1)[1] for k in strings if base_key(k) == key and "|" in k}
        assert forms == PLURAL_CATEGORIES[language], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_keeps_its_placeholders(language):
    reference = catalogue(DEFAULT_LANGUAGE)
    for key, value in catalogue(language).items():
        if key == "_meta":
            continue
        assert value.strip(), key
        expected = set(PLACEHOLDER.findall(reference_string(reference, key)))
        assert set(PLACEHOLDER.findall(value)) == expected, key


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def test_the_compiled_django_translations_are_up_to_date(tmp_path):
    for po in (WIDGET_DIR / "locale").glob("*/LC_MESSAGES/django.po"):
        compiled = tmp_path / "django.mo"
        subprocess.run(["msgfmt", "-o", str(compiled), str(po)], check=True)
        assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), po


def test_the_visitor_side_speaks_the_eight_languages_of_the_design_and_brazils_portuguese():
    assert LANGUAGES == ["fr", "en", "bg", "ro", "ru", "es", "pt-BR", "pt", "zh"]


# Allowed to equal the English: a format, and words French and English share
# ("Conversation", "police").
SAME_EVERYWHERE = {"announce_message", "conversation", "emergency.17"}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_catalogue_is_translated_not_copied(language):
    english = catalogue("en")
    copied = [
        key
        for key, value in catalogue(language).items()
        if key != "_meta" and key not in SAME_EVERYWHERE and value == english.get(key)
    ]
    assert copied == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_switch_is_findable_from_any_language(language):
    label = catalogue(language)["language_label"]
    assert label == "Language" if language == "en" else label.endswith(" / Language")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_server_side_translation(language):
    if language == "en":  # the source language of the templates
        return
    po = WIDGET_DIR / "locale" / language.replace("-", "_") / "LC_MESSAGES" / "django.po"
    text = po.read_text("utf-8")
    assert 'msgstr ""\n\n' not in text.split("\n\n", 1)[1], "an untranslated string"
    assert po.with_suffix(".mo").exists()
