"""The pages as a file, for the association's translators, as for the canned replies:
JSON (everything, as starter_pages.json is written) and CSV (one row per section or
answer and language, for a spreadsheet). Reading a file checks everything and writes
nothing; ops/selfhelp/services.py imports what it read, all or nothing.

JSON::

    {"format": "helpline-selfhelp-pages", "version": 1,
     "sections": [{"section": "health", "texts": {"fr": {"title": "Santé", "intro": "…"}}}],
     "answers": [{"key": "condoms", "section": "health", "canned": "preservatif",
                  "texts": {"fr": {"question": "…", "body": "", "where": "…"}}}]}

CSV (UTF-8, a header row, "," or ";"): ``section, key, canned, language, question, body,
where``. A row with an empty ``key`` is the section's own text: ``question`` is its
title, ``body`` its introduction. A row with an empty question is a language still to
translate: left out.
"""

from __future__ import annotations

import csv
import io
import json

import msgspec
from django.utils.translation import gettext as _

from ops.canned import rules as canned_rules
from ops.selfhelp.content import (
    AnswerData,
    AnswerTextData,
    PagesData,
    SectionData,
    SectionTextData,
    pages_problems,
)

FORMAT_NAME = "helpline-selfhelp-pages"
FORMAT_VERSION = 1
CSV_COLUMNS = ("section", "key", "canned", "language", "question", "body", "where")
FILE_MAX_BYTES = 4 * 1024 * 1024
NOTE = (
    'Self-help pages beside the chat. An answer with a "canned" shortcut takes its text '
    'from that canned reply (its "body" is unused); "question" and "title" are '
    'plain text, "body", "where" and "intro" Markdown. Pages d\'aide à côté du chat.'
)


class PagesUnreadable(Exception):
    """The file cannot be imported; ``problems`` lists ``(where, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = problems


class JsonSectionText(msgspec.Struct, forbid_unknown_fields=True):
    title: str = ""
    intro: str = ""


class JsonSection(msgspec.Struct, forbid_unknown_fields=True):
    section: str
    texts: dict[str, JsonSectionText] = {}


class JsonAnswerText(msgspec.Struct, forbid_unknown_fields=True):
    question: str = ""
    body: str = ""
    where: str = ""


class JsonAnswer(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    section: str
    canned: str | None = None
    texts: dict[str, JsonAnswerText] = {}


class JsonPages(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    version: int
    sections: list[JsonSection] = []
    answers: list[JsonAnswer] = []
    note: str = ""


def pages_to_json(pages: PagesData) -> bytes:
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "note": NOTE,
        "sections": [
            {
                "section": section.section,
                "texts": {
                    language: {"title": text.title, "intro": text.intro}
                    for language, text in section.texts.items()
                },
            }
            for section in pages.sections
        ],
        "answers": [
            {
                "key": answer.key,
                "section": answer.section,
                "canned": answer.canned or None,
                "texts": {
                    language: {"question": text.question, "body": text.body, "where": text.where}
                    for language, text in answer.texts.items()
                },
            }
            for answer in pages.answers
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def pages_from_json(data: bytes) -> PagesData:
    size_check(data)
    try:
        document = msgspec.json.decode(data, type=JsonPages)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise PagesUnreadable(
            [("", _("This is not a pages file: %(why)s") % {"why": exc})]
        ) from None
    if document.format != FORMAT_NAME or document.version != FORMAT_VERSION:
        raise PagesUnreadable([("format", _("This is not a self-help pages file (version 1)."))])
    pages = PagesData(
        sections=tuple(
            SectionData(
                section=item.section.strip(),
                texts={
                    canned_rules.language_clean(language): SectionTextData(
                        title=text.title.strip(), intro=text.intro.strip()
                    )
                    for language, text in item.texts.items()
                    if text.title.strip()
                },
            )
            for item in document.sections
        ),
        answers=tuple(
            AnswerData(
                key=item.key.strip(),
                section=item.section.strip(),
                canned=canned_rules.shortcut_clean(item.canned or ""),
                texts={
                    canned_rules.language_clean(language): AnswerTextData(
                        question=text.question.strip(),
                        body=text.body.strip(),
                        where=text.where.strip(),
                    )
                    for language, text in item.texts.items()
                    if text.question.strip()
                },
            )
            for item in document.answers
        ),
    )
    problems = pages_problems(pages)
    if problems:
        raise PagesUnreadable(problems)
    return pages


def pages_to_csv(pages: PagesData, languages: list[str]) -> bytes:
    """Every language of ``languages`` gets a row (empty for a missing one: the
    translator's cells to fill)."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for section in pages.sections:
        for language in [*languages, *sorted(set(section.texts) - set(languages))]:
            text = section.texts.get(language, SectionTextData(title=""))
            writer.writerow([section.section, "", "", language, text.title, text.intro, ""])
    for answer in pages.answers:
        for language in [*languages, *sorted(set(answer.texts) - set(languages))]:
            text = answer.texts.get(language, AnswerTextData(question=""))
            writer.writerow(
                [
                    answer.section,
                    answer.key,
                    answer.canned,
                    language,
                    text.question,
                    text.body,
                    text.where,
                ]
            )
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def pages_from_csv(data: bytes) -> PagesData:
    size_check(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PagesUnreadable(
            [("", _("The file is not UTF-8 text. Save it as “CSV UTF-8”."))]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise PagesUnreadable(
            [("", _("This CSV file cannot be read: %(why)s") % {"why": exc})]
        ) from None
    if not rows:
        raise PagesUnreadable([("", _("The file is empty."))])
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise PagesUnreadable(
            [
                (
                    "line 1",
                    _("The first row must name the columns: %(columns)s.")
                    % {"columns": ", ".join(CSV_COLUMNS)},
                )
            ]
        )
    index = {name: header.index(name) for name in CSV_COLUMNS}
    sections: dict[str, dict[str, SectionTextData]] = {}
    answers: dict[str, dict] = {}
    problems: list[tuple[str, str]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        language = canned_rules.language_clean(cells["language"])
        if not cells["key"]:
            texts = sections.setdefault(cells["section"], {})
            if cells["question"]:
                texts[language] = SectionTextData(title=cells["question"], intro=cells["body"])
            continue
        answer = answers.setdefault(
            cells["key"],
            {"section": cells["section"], "canned": cells["canned"], "texts": {}, "line": line},
        )
        if (cells["section"], canned_rules.shortcut_clean(cells["canned"])) != (
            answer["section"],
            canned_rules.shortcut_clean(answer["canned"]),
        ):
            problems.append(
                (
                    f"line {line}",
                    _("Differs from line %(row)s of the same key.") % {"row": answer["line"]},
                )
            )
        if cells["question"]:
            answer["texts"][language] = AnswerTextData(
                question=cells["question"], body=cells["body"], where=cells["where"]
            )
    pages = PagesData(
        sections=tuple(
            SectionData(section=section, texts=texts) for section, texts in sections.items()
        ),
        answers=tuple(
            AnswerData(
                key=key,
                section=item["section"],
                canned=canned_rules.shortcut_clean(item["canned"]),
                texts=item["texts"],
            )
            for key, item in answers.items()
        ),
    )
    problems += pages_problems(pages)
    if problems:
        raise PagesUnreadable(problems)
    return pages


def size_check(data: bytes) -> None:
    if len(data) > FILE_MAX_BYTES:
        raise PagesUnreadable(
            [("", _("The file is larger than %(n)s MB.") % {"n": FILE_MAX_BYTES // 1024 // 1024})]
        )
