"""The canned-reply library: writes (ops/canned/services.py), reads
(ops/canned/selectors.py), the file formats (ops/canned/formats.py) and the starter
library (ops/canned/starter_library.json, `manage.py canned_load`)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ops.canned import formats, rules, selectors, services
from ops.canned.errors import CannedInvalid, LibraryImportRefused, ShortcutTaken
from ops.canned.models import CannedReply, CannedText
from ops.canned.rules import ReplyData, TextData
from ops.management.commands.canned_load import STARTER_LIBRARY

PREP = ReplyData(
    shortcut="prep",
    title="PrEP",
    tags=("PrEP", "ПрЕП", "暴露前预防"),
    sources=("Santé publique France — sexosafe.fr",),
    texts={
        "fr": TextData(body="La PrEP protège du VIH. Parlez-en : {testing_centre}."),
        "bg": TextData(body="PrEP ви пази от ХИВ. Говорете с: {testing_centre}.", title="ПрЕП"),
        "zh": TextData(
            body="PrEP 可以预防艾滋病病毒。请联系：{testing_centre}。", title="暴露前预防"
        ),
    },
)
CONDOM = ReplyData(
    shortcut="preservatif",
    title="Préservatifs",
    texts={"fr": TextData(body="Un préservatif par rapport."), "en": TextData(body="One condom.")},
)


def library_now() -> list[ReplyData]:
    return [selectors.reply_data(reply) for reply in selectors.replies_all()]


# -- writes ---------------------------------------------------------------------------------


def test_an_entry_is_created_with_its_texts(db, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    assert sorted(entry.texts.values_list("language", flat=True)) == ["bg", "fr", "zh"]
    assert selectors.reply_data(selectors.reply_get(entry.pk)) == PREP


def test_a_taken_shortcut_is_refused(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    with pytest.raises(ShortcutTaken):
        services.canned_reply_create(reply=PREP, now=now)
    other = services.canned_reply_create(reply=CONDOM, now=now)
    with pytest.raises(ShortcutTaken):
        services.canned_reply_update(reply_id=other.pk, fields={"shortcut": "prep"}, now=now)


def test_an_update_changes_only_what_it_names(db, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_update(
        reply_id=entry.pk,
        fields={"title": "PrEP (VIH)"},
        texts={"en": TextData(body="PrEP protects from HIV."), "zh": None},
        now=now,
    )
    data = selectors.reply_data(selectors.reply_get(entry.pk))
    assert data.title == "PrEP (VIH)"
    assert data.tags == PREP.tags
    assert list(data.texts) == ["fr", "en", "bg"]


def test_deleting_the_last_text_is_refused_and_nothing_changes(db, now):
    entry = services.canned_reply_create(reply=CONDOM, now=now)
    with pytest.raises(CannedInvalid) as refused:
        services.canned_reply_update(
            reply_id=entry.pk, fields={}, texts={"fr": None, "en": None}, now=now
        )
    assert refused.value.problems[0][0] == "texts"
    assert CannedText.objects.filter(reply=entry).count() == 2


# -- missing languages ----------------------------------------------------------------------


def test_each_entry_says_which_languages_it_lacks(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_create(reply=CONDOM, now=now)
    replies = selectors.replies_all()
    languages = selectors.library_languages(replies)
    assert languages == list(rules.BASE_LANGUAGES)
    missing = {reply.shortcut: selectors.missing_languages(reply, languages) for reply in replies}
    assert missing == {
        "prep": ["en", "ro", "ru", "es", "pt"],
        "preservatif": ["bg", "ro", "ru", "es", "pt", "zh"],
    }


def test_a_language_written_for_one_entry_is_missing_from_the_others(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    arabic = {**CONDOM.texts, "ar": TextData(body="واقي ذكري لكل علاقة.")}
    services.canned_reply_create(
        reply=ReplyData(shortcut="capote", title="Capote", texts=arabic), now=now
    )
    replies = selectors.replies_all()
    languages = selectors.library_languages(replies)
    assert languages[-1] == "ar"
    prep = next(reply for reply in replies if reply.shortcut == "prep")
    assert "ar" in selectors.missing_languages(prep, languages)


# -- search over the database ---------------------------------------------------------------


def test_the_library_is_searched_by_language_titles_and_tags(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_create(reply=CONDOM, now=now)
    replies = selectors.replies_all()
    found = {
        query: [reply.shortcut for reply in selectors.replies_search(replies, query)]
        for query in ["/prep", "пре", "暴露", "PRÉSERV", "/p"]
    }
    assert found == {
        "/prep": ["prep"],
        "пре": ["prep"],
        "暴露": ["prep"],
        "PRÉSERV": ["preservatif"],
        "/p": ["prep", "preservatif"],
    }


# -- files ----------------------------------------------------------------------------------


def test_json_export_then_import_gives_the_same_library(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_create(reply=CONDOM, now=now)
    before = library_now()
    exported = formats.library_to_json(before)
    CannedReply.objects.all().delete()
    result = services.canned_library_import(replies=formats.library_from_json(exported), now=now)
    assert (result.created, result.updated) == (2, 0)
    assert library_now() == before


def test_csv_export_then_import_gives_the_same_library(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_create(reply=CONDOM, now=now)
    before = library_now()
    exported = formats.library_to_csv(before, list(rules.BASE_LANGUAGES))
    assert exported.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    assert "暴露前预防".encode() in exported
    CannedReply.objects.all().delete()
    services.canned_library_import(replies=formats.library_from_csv(exported), now=now)
    assert library_now() == before


def test_a_translator_fills_a_csv_column_and_only_that_language_changes(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    exported = formats.library_to_csv(library_now(), list(rules.BASE_LANGUAGES)).decode("utf-8")
    # A spreadsheet in a French locale saves with ";"; the translator wrote the Romanian.
    lines = exported.lstrip("\ufeff").splitlines()
    rows = [line.replace(",", ";") if not line.startswith('"') else line for line in lines]
    ro = next(i for i, line in enumerate(rows) if ";ro;" in line)
    rows[ro] = rows[ro] + "PrEP vă protejează de HIV. {testing_centre}"
    translated = "\n".join(rows).encode("utf-8")
    replies = formats.library_from_csv(translated)
    result = services.canned_library_import(replies=replies, now=now)
    assert result.updated == 1
    after = library_now()[0]
    assert after.texts["ro"].body == "PrEP vă protejează de HIV. {testing_centre}"
    assert after.texts["fr"] == PREP.texts["fr"]


def test_a_file_with_problems_is_refused_whole_with_every_row_named(db, now):
    services.canned_reply_create(reply=CONDOM, now=now)
    data = formats.library_to_json(
        [PREP, ReplyData(shortcut="Bad Shortcut", title="", texts={"fr": TextData(body="{x}")})]
    )
    with pytest.raises(formats.LibraryUnreadable) as refused:
        formats.library_from_json(data)
    where = {(problem.row, problem.field) for problem in refused.value.problems}
    assert where == {(2, "shortcut"), (2, "title"), (2, "texts.fr.body")}
    assert library_now() == [CONDOM]


def test_csv_problems_point_at_their_line(db):
    text = (
        "shortcut,title,tags,reviewed,sources,language,language_title,body\r\n"
        "/prep,PrEP,,no,,fr,,La PrEP.\r\n"
        "/prep,PrEP,,maybe,,fr,,Encore.\r\n"
        "/tpe,TPE,,no,,FR!,,Texte {inconnu}\r\n"
    )
    with pytest.raises(formats.LibraryUnreadable) as refused:
        formats.library_from_csv(text.encode())
    where = sorted((problem.row, problem.field) for problem in refused.value.problems)
    assert where == [(3, "language"), (3, "reviewed"), (4, "body"), (4, "language")]


def test_not_a_library_file_is_said_so(db):
    with pytest.raises(formats.LibraryUnreadable):
        formats.library_from_json(b'{"format": "other", "version": 1, "replies": []}')
    with pytest.raises(formats.LibraryUnreadable):
        formats.library_from_csv("\xe9t\xe9".encode("latin-1"))


def test_import_replace_makes_the_library_exactly_the_file(db, now):
    services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_create(reply=CONDOM, now=now)
    only_french = ReplyData(shortcut="prep", title="PrEP", texts={"fr": TextData(body="La PrEP.")})
    result = services.canned_library_import(replies=[only_french], replace=True, now=now)
    assert (result.updated, result.deleted) == (1, 1)
    assert library_now() == [only_french]


def test_an_import_merged_twice_changes_nothing_the_second_time(db, now):
    services.canned_library_import(replies=[PREP, CONDOM], now=now)
    result = services.canned_library_import(replies=[PREP, CONDOM], now=now)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_import_problems_raise_before_anything_is_written(db, now):
    bad = ReplyData(shortcut="x", title="X", texts={"fr": TextData(body="{nope}")})
    with pytest.raises(LibraryImportRefused):
        services.canned_library_import(replies=[PREP, bad], now=now)
    assert CannedReply.objects.count() == 0


# -- the starter library --------------------------------------------------------------------

STARTER_TOPICS = {
    "preservatif",
    "lubrifiant",
    "prep",
    "tpe",
    "depistage",
    "contraception",
    "pilule-urgence",
    "ivg",
    "viol",
    "violences",
    "plainte",
    "titre-sejour",
    "sortie",
    "urgences",
}


def test_the_starter_library_is_marked_for_review_and_names_its_sources():
    starter = json.loads(STARTER_LIBRARY.read_text("utf-8"))
    assert "reviewed by the association's medical staff" in starter["note"]
    replies = formats.library_from_json(STARTER_LIBRARY.read_bytes())
    assert {reply.shortcut for reply in replies} >= STARTER_TOPICS
    for reply in replies:
        assert reply.reviewed is False, reply.shortcut
        assert reply.sources, reply.shortcut
        assert {"fr", "en"} <= set(reply.texts), reply.shortcut


def test_the_starter_library_says_pep_within_48_hours_and_the_emergency_numbers():
    replies = {
        reply.shortcut: reply for reply in formats.library_from_json(STARTER_LIBRARY.read_bytes())
    }
    assert "48" in replies["tpe"].texts["fr"].body
    assert "48" in replies["tpe"].texts["bg"].body
    for number in ("112", "17", "119", "3919", "114"):
        for language in ("fr", "en", "bg", "zh"):
            assert number in replies["urgences"].texts[language].body, (number, language)


def test_canned_load_adds_the_starter_library_and_keeps_what_the_association_wrote(db, now):
    ours = ReplyData(shortcut="prep", title="Notre PrEP", texts={"fr": TextData(body="Ici.")})
    services.canned_reply_create(reply=ours, now=now)
    out = StringIO()
    call_command("canned_load", stdout=out)
    assert "skipped 1" in out.getvalue()
    assert CannedReply.objects.count() >= len(STARTER_TOPICS)
    assert selectors.reply_data(CannedReply.objects.get(shortcut="prep")) == ours
    call_command("canned_load", stdout=StringIO())  # twice: nothing more
    assert CannedReply.objects.filter(shortcut="prep").count() == 1


def test_canned_load_refuses_a_bad_file_and_lists_its_problems(db, tmp_path):
    path = tmp_path / "library.json"
    path.write_bytes(formats.library_to_json([ReplyData(shortcut="A B", title="x", texts={})]))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("canned_load", str(path), stdout=StringIO())
    assert CannedReply.objects.count() == 0
