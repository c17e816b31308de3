"""The canned-reply library: writes (ops/canned/services.py), reads
(ops/canned/selectors.py), the file formats (ops/canned/formats.py) and the starter
library (ops/canned/starter_library.json, `manage.py canned_load`)."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from audit.models import Action, AuditEntry
from ops.canned import formats, rules, selectors, services
from ops.canned.errors import CannedInvalid, LibraryImportRefused, ReviewOutdated, ShortcutTaken
from ops.canned.models import CannedReply, CannedText
from ops.canned.rules import ReplyData, TextData
from ops.management.commands import canned_load
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
    assert selectors.reply_data(CannedReply.objects.get(pk=entry.pk)) == PREP


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
    data = selectors.reply_data(CannedReply.objects.get(pk=entry.pk))
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
        "prep": ["en", "ro", "ru", "es", "pt", "pt-BR"],
        "preservatif": ["bg", "ro", "ru", "es", "pt", "pt-BR", "zh"],
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
# What the starter library says is tested fact by fact in test_canned_starter_library.py.


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


# -- the review ----------------------------------------------------------------------------


def reviewed_by(entry_id: int) -> tuple[bool, int | None, str]:
    entry = CannedReply.objects.get(pk=entry_id)
    return entry.reviewed, entry.reviewed_version, entry.reviewed_by_name


def test_a_new_entry_is_version_1_and_not_reviewed_whatever_it_claims(db, now):
    claimed = ReplyData(shortcut="x", title="X", reviewed=True, texts={"fr": TextData(body="b")})
    entry = services.canned_reply_create(reply=claimed, now=now)
    assert (entry.version, entry.reviewed) == (1, False)


def test_a_review_records_who_which_version_and_when(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    entry.refresh_from_db()
    assert (entry.reviewed, entry.reviewed_version, entry.reviewed_at) == (True, 1, now)
    assert (entry.reviewed_by, entry.reviewed_by_name) == (coordinator.user, "alice")


def test_changing_a_text_makes_a_new_version_that_is_not_reviewed(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    services.canned_reply_update(
        reply_id=entry.pk,
        fields={},
        texts={"bg": TextData(body="PrEP се взема всеки ден.", title="ПрЕП")},
        now=now,
    )
    entry.refresh_from_db()
    assert (entry.version, entry.reviewed) == (2, False)
    # Which earlier version was reviewed, by whom, stays said.
    assert (entry.reviewed_version, entry.reviewed_by_name) == (1, "alice")


@pytest.mark.parametrize(
    "change",
    [
        {"fields": {"sources": ("HAS 2024 — https://www.has-sante.fr",)}},
        {"fields": {}, "texts": {"en": TextData(body="PrEP protects from HIV.")}},
        {"fields": {}, "texts": {"zh": None}},
    ],
    ids=["sources", "a new language", "a language deleted"],
)
def test_any_change_of_content_loses_the_review(coordinator, now, change):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    services.canned_reply_update(reply_id=entry.pk, now=now, **change)
    assert reviewed_by(entry.pk)[0] is False


def test_a_new_title_or_tags_keep_the_review(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    services.canned_reply_update(
        reply_id=entry.pk, fields={"title": "PrEP (VIH)", "tags": ("PrEP", "ПрЕП")}, now=now
    )
    entry.refresh_from_db()
    assert (entry.version, entry.reviewed) == (1, True)


def test_a_version_that_changed_since_it_was_read_cannot_be_marked_reviewed(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_update(
        reply_id=entry.pk, fields={}, texts={"fr": TextData(body="Autre.")}, now=now
    )
    with pytest.raises(ReviewOutdated):
        services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    assert reviewed_by(entry.pk) == (False, None, "")


def test_the_database_refuses_reviewed_without_a_review_of_the_current_version(db, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        CannedReply.objects.filter(pk=entry.pk).update(reviewed=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CannedReply.objects.filter(pk=entry.pk).update(
            reviewed=True, reviewed_version=2, reviewed_at=now
        )


def test_a_withdrawn_review_leaves_the_entry_unreviewed(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    services.canned_reply_review_withdraw(reply_id=entry.pk, actor=coordinator.user)
    assert reviewed_by(entry.pk) == (False, None, "")
    actions = list(
        AuditEntry.objects.filter(target="/prep")
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [Action.CANNED_REVIEWED, Action.CANNED_REVIEW_WITHDRAWN]


def test_an_import_cannot_mark_reviewed_and_an_unchanged_entry_keeps_its_review(coordinator, now):
    claimed = ReplyData(
        shortcut="capote", title="Capote", reviewed=True, texts={"fr": TextData(body="Une.")}
    )
    services.canned_library_import(replies=[claimed], now=now)
    entry = CannedReply.objects.get(shortcut="capote")
    assert entry.reviewed is False
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    as_exported = dataclasses.replace(claimed, reviewed=False)
    result = services.canned_library_import(replies=[as_exported], now=now)
    assert result.unchanged == 1 and reviewed_by(entry.pk)[0] is True
    changed = dataclasses.replace(claimed, texts={"fr": TextData(body="Une à chaque fois.")})
    services.canned_library_import(replies=[changed], now=now)
    assert reviewed_by(entry.pk)[0] is False


def test_a_change_made_in_the_admin_is_a_new_version_not_reviewed(coordinator, now):
    entry = services.canned_reply_create(reply=PREP, now=now)
    services.canned_reply_review(reply_id=entry.pk, version=1, actor=coordinator.user, now=now)
    services.canned_reply_content_changed(reply_id=entry.pk, actor=coordinator.user, now=now)
    entry.refresh_from_db()
    assert (entry.version, entry.reviewed) == (2, False)


# -- languages with a region ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["pt-BR", "pt-br", "PT_BR", " pt-Br "])
def test_brazilian_portuguese_is_one_language_however_it_is_typed(typed):
    assert rules.language_clean(typed) == "pt-BR"
    assert rules.language_problems(rules.language_clean(typed), "language") == []


@pytest.mark.parametrize("code", ["pt-BRA", "p-BR", "pt-B", "fr!", "zh-Hans"])
def test_what_is_not_a_language_is_refused(code):
    assert rules.language_problems(rules.language_clean(code), "language")


def test_a_csv_with_a_brazilian_column_is_imported_as_pt_br(db, now):
    text = (
        "shortcut,title,tags,reviewed,sources,language,language_title,body\r\n"
        "/prep,PrEP,,no,,fr,,La PrEP.\r\n"
        "/prep,PrEP,,no,,pt_br,,A PrEP.\r\n"
    )
    services.canned_library_import(replies=formats.library_from_csv(text.encode()), now=now)
    assert list(library_now()[0].texts) == ["fr", "pt-BR"]


# -- correcting the starter entries nobody changed -----------------------------------------


def test_canned_load_corrects_a_starter_entry_nobody_changed_and_names_the_ones_kept(
    db, now, tmp_path, monkeypatch
):
    wrong = ReplyData(
        shortcut="prep",
        title="PrEP",
        sources=("HAS",),
        texts={"fr": TextData(body="On la prend tous les jours, ou autour des rapports.")},
    )
    services.canned_reply_create(reply=wrong, now=now)
    ours = ReplyData(shortcut="tpe", title="TPE", texts={"fr": TextData(body="Notre texte.")})
    services.canned_reply_create(reply=ours, now=now)
    superseded = tmp_path / "starter_superseded.json"
    fingerprint = rules.content_fingerprint(wrong.texts, wrong.sources)
    superseded.write_text(json.dumps({"superseded": {"prep": [fingerprint]}}), "utf-8")
    monkeypatch.setattr(canned_load, "STARTER_SUPERSEDED", superseded)
    out = StringIO()
    call_command("canned_load", stdout=out)
    starter = {r.shortcut: r for r in formats.library_from_json(STARTER_LIBRARY.read_bytes())}
    prep = selectors.reply_data(CannedReply.objects.get(shortcut="prep"))
    assert prep.texts == starter["prep"].texts and prep.sources == starter["prep"].sources
    assert CannedReply.objects.get(shortcut="prep").version == 2
    assert selectors.reply_data(CannedReply.objects.get(shortcut="tpe")) == ours
    assert "Kept as the association wrote them" in out.getvalue()
    assert "/tpe" in out.getvalue() and "/prep" not in out.getvalue().split("Kept")[1]


def test_no_current_starter_entry_is_listed_as_superseded():
    superseded = canned_load.starter_superseded()
    for reply in formats.library_from_json(STARTER_LIBRARY.read_bytes()):
        fingerprint = rules.content_fingerprint(reply.texts, reply.sources)
        assert fingerprint not in superseded.get(reply.shortcut, set()), reply.shortcut
