"""The canned replies' rules and search (ops/canned/rules.py, ops/canned/search.py),
against the vectors the staff browser's implementation is tested with too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.canned import rules, search
from ops.canned.rules import ReplyData, TextData

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "canned_vectors.json").read_text("utf-8")
)
ENTRIES = [
    search.Searchable.of(entry["shortcut"], entry["shortcut"], entry["titles"], entry["tags"])
    for entry in VECTORS["entries"]
]


@pytest.mark.parametrize("case", VECTORS["search"], ids=lambda case: case["query"] or "empty")
def test_search_finds_by_shortcut_title_or_tag_in_any_script(case):
    assert search.search(ENTRIES, case["query"]) == case["expect"]


def test_a_shortcut_typed_in_full_ranks_before_a_tag_that_contains_it():
    assert search.search(ENTRIES, "urgence")[0] == "urgences"


def test_cyrillic_keeps_its_own_letters_while_latin_accents_fold():
    assert search.fold("Préservatif ȘI ã") == "preservatif si a"
    assert search.fold("Й") == "й"  # not и: a different letter in Russian and Bulgarian
    assert search.search(ENTRIES, "ии") == []


@pytest.mark.parametrize("case", VECTORS["fill"], ids=lambda case: case["body"][:20])
def test_variables_are_filled_and_missing_ones_named(case):
    assert rules.body_fill(case["body"], case["values"]) == (case["text"], case["missing"])


def test_a_language_s_own_value_wins_over_the_value_for_every_language():
    rows = [
        ("address", "", "12 rue de la Paix, Paris"),
        ("address", "zh", "巴黎和平街12号"),
        ("phone", "", "01 23 45 67 89"),
    ]
    assert rules.variable_values_for("zh", rows) == {
        "address": "巴黎和平街12号",
        "phone": "01 23 45 67 89",
    }
    assert rules.variable_values_for("bg", rows)["address"] == "12 rue de la Paix, Paris"


def test_an_unknown_variable_in_a_body_is_refused():
    reply = ReplyData(shortcut="venir", title="Venir", texts={"fr": TextData(body="Au {adresse}.")})
    problems = rules.reply_problems(reply)
    assert [field for field, _ in problems] == ["texts.fr.body"]
    assert "{adresse}" in problems[0][1]


@pytest.mark.parametrize("shortcut", ["", "PrEP", "prép", "a b", "-x", "x" * 33])
def test_a_shortcut_is_lower_case_ascii(shortcut):
    reply = ReplyData(shortcut=shortcut, title="t", texts={"fr": TextData(body="b")})
    assert ("shortcut" in [field for field, _ in rules.reply_problems(reply)]) is True


def test_shortcuts_are_cleaned_as_people_type_them():
    assert rules.shortcut_clean(" /PrEP ") == "prep"


def test_an_entry_without_any_text_is_refused():
    problems = rules.reply_problems(ReplyData(shortcut="prep", title="PrEP"))
    assert [field for field, _ in problems] == ["texts"]


def test_the_base_languages_come_first_then_others_alphabetically():
    assert rules.languages_ordered(["uk", "ar", "fr"]) == [*rules.BASE_LANGUAGES, "ar", "uk"]
