"""The library as a file, for the association's translators: JSON (the whole library,
as the starter library is written) and CSV (one row per entry and language, for a
spreadsheet). Reading a file checks everything and reports every problem with its row;
it writes nothing (ops/canned/services.py imports what it read, all or nothing).

JSON::

    {"format": "helpline-canned-replies", "version": 1,
     "replies": [{"shortcut": "prep", "title": "PrEP", "tags": ["PrEP", "ПрЕП"],
                  "reviewed": false, "sources": ["HAS …"],
                  "texts": {"fr": {"title": "", "body": "…"}, "bg": {…}}}]}

CSV (UTF-8, a header row; "," or ";" as a spreadsheet saves it): ``shortcut, title,
tags, reviewed, sources, language, language_title, body``. Lists (tags, sources) are
separated by " | ". An entry's own fields are repeated on each of its rows (a later row
may leave them empty); a row with an empty body is a language still to translate.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec
from django.utils.translation import gettext as _

from ops.canned import rules
from ops.canned.rules import ReplyData, TextData

FORMAT_NAME = "helpline-canned-replies"
FORMAT_VERSION = 1
CSV_COLUMNS = (
    "shortcut",
    "title",
    "tags",
    "reviewed",
    "sources",
    "language",
    "language_title",
    "body",
)
LIST_SEPARATOR = " | "
# A text's problem (rules.text_problems: texts.<lang>, .body, .title) → its CSV column.
CSV_FIELDS = {"body": "body", "title": "language_title"}
FILE_MAX_BYTES = 4 * 1024 * 1024
TRUE_WORDS = {"yes", "true", "1", "oui", "y", "x"}
FALSE_WORDS = {"no", "false", "0", "non", "n", ""}
REVIEW_NOTE = (
    "To be reviewed by the association's medical and legal staff before use: an entry "
    "is reviewed only when a coordinator marks its current version reviewed on the "
    "Canned replies page; the reviewed marks of a file are not imported. "
    "À relire par l'équipe médicale et juridique de l'association avant usage."
)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong, where: `row` is the entry's position in a JSON file (1 = the first)
    or the line of a CSV file (1 = the header); 0 is the file as a whole."""

    row: int
    shortcut: str
    field: str
    message: str

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "shortcut": self.shortcut,
            "field": self.field,
            "message": self.message,
        }


class LibraryUnreadable(Exception):
    """The file cannot be imported; ``problems`` says why, row by row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = problems


# -- JSON ----------------------------------------------------------------------------------


class JsonText(msgspec.Struct, forbid_unknown_fields=True):
    body: str = ""
    title: str = ""


class JsonReply(msgspec.Struct, forbid_unknown_fields=True):
    shortcut: str
    title: str
    texts: dict[str, JsonText]
    tags: list[str] = []
    reviewed: bool = False
    sources: list[str] = []


class JsonLibrary(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    version: int
    replies: list[JsonReply]
    note: str = ""


def library_to_json(replies: Iterable[ReplyData]) -> bytes:
    library = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "note": REVIEW_NOTE,
        "replies": [
            {
                "shortcut": reply.shortcut,
                "title": reply.title,
                "tags": list(reply.tags),
                "reviewed": reply.reviewed,
                "sources": list(reply.sources),
                "texts": {
                    language: {"title": text.title, "body": text.body}
                    for language, text in reply.texts.items()
                },
            }
            for reply in replies
        ],
    }
    return (json.dumps(library, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def library_from_json(data: bytes) -> list[ReplyData]:
    """The entries of a JSON library file, or LibraryUnreadable with every problem.
    Texts with an empty body are languages still to translate: left out."""
    size_check(data)
    try:
        library = msgspec.json.decode(data, type=JsonLibrary)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise LibraryUnreadable(
            [RowProblem(0, "", "", _("This is not a library file: %(why)s") % {"why": exc})]
        ) from None
    if library.format != FORMAT_NAME or library.version != FORMAT_VERSION:
        raise LibraryUnreadable(
            [RowProblem(0, "", "format", _("This is not a canned-reply library (version 1)."))]
        )
    replies = [
        ReplyData(
            shortcut=rules.shortcut_clean(item.shortcut),
            title=item.title.strip(),
            tags=rules.tags_clean(item.tags),
            reviewed=item.reviewed,
            sources=rules.sources_clean(item.sources),
            texts={
                rules.language_clean(language): TextData(
                    body=text.body.strip(), title=text.title.strip()
                )
                for language, text in item.texts.items()
                if text.body.strip()
            },
        )
        for item in library.replies
    ]
    problems = library_problems([(position, reply) for position, reply in enumerate(replies, 1)])
    if problems:
        raise LibraryUnreadable(problems)
    return replies


# -- CSV -----------------------------------------------------------------------------------


def library_to_csv(replies: Iterable[ReplyData], languages: list[str]) -> bytes:
    """One row per entry and language, every language of `languages` included (an empty
    body for a missing one: the translator's cell to fill)."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for reply in replies:
        codes = [*languages, *sorted(set(reply.texts) - set(languages))]
        for language in codes:
            text = reply.texts.get(language, TextData(body=""))
            writer.writerow(
                [
                    "/" + reply.shortcut,
                    reply.title,
                    LIST_SEPARATOR.join(reply.tags),
                    "yes" if reply.reviewed else "no",
                    LIST_SEPARATOR.join(reply.sources),
                    language,
                    text.title,
                    text.body,
                ]
            )
    # A byte-order mark, so that spreadsheets open the file as UTF-8 (Cyrillic, Chinese).
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def list_split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split("|") if item.strip()]


def library_from_csv(data: bytes) -> list[ReplyData]:
    size_check(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LibraryUnreadable(
            [RowProblem(0, "", "", _("The file is not UTF-8 text. Save it as “CSV UTF-8”."))]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise LibraryUnreadable(
            [RowProblem(0, "", "", _("This CSV file cannot be read: %(why)s") % {"why": exc})]
        ) from None
    if not rows:
        raise LibraryUnreadable([RowProblem(0, "", "", _("The file is empty."))])
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise LibraryUnreadable(
            [
                RowProblem(
                    1,
                    "",
                    ", ".join(missing),
                    _("The first row must name the columns: %(columns)s.")
                    % {"columns": ", ".join(CSV_COLUMNS)},
                )
            ]
        )
    index = {name: header.index(name) for name in CSV_COLUMNS}
    problems: list[RowProblem] = []
    entries: dict[str, dict] = {}  # shortcut → entry fields, its first row, its texts
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines a spreadsheet leaves
        if len(row) > len(header):
            problems.append(RowProblem(line, "", "", _("This row has more cells than columns.")))
            continue
        cells = {name: (row[i] if i < len(row) else "") for name, i in index.items()}
        shortcut = rules.shortcut_clean(cells["shortcut"])
        reviewed_word = cells["reviewed"].strip().lower()
        if reviewed_word not in TRUE_WORDS | FALSE_WORDS:
            problems.append(
                RowProblem(line, shortcut, "reviewed", _("Write yes or no (reviewed)."))
            )
        fields = {
            "title": cells["title"].strip(),
            "tags": rules.tags_clean(list_split(cells["tags"])),
            "sources": rules.sources_clean(list_split(cells["sources"])),
            "reviewed": reviewed_word in TRUE_WORDS,
        }
        entry = entries.get(shortcut)
        if entry is None:
            entry = entries[shortcut] = {"row": line, "fields": fields, "texts": {}, "rows": {}}
        else:
            for name, value in fields.items():
                stated = cells[name].strip()
                if stated and value != entry["fields"][name]:
                    problems.append(
                        RowProblem(
                            line,
                            shortcut,
                            name,
                            _("Differs from row %(row)s of the same shortcut.")
                            % {"row": entry["row"]},
                        )
                    )
        language = rules.language_clean(cells["language"])
        for _field, message in rules.language_problems(language, "language"):
            problems.append(RowProblem(line, shortcut, "language", message))
        if language in entry["rows"]:
            problems.append(
                RowProblem(
                    line,
                    shortcut,
                    "language",
                    _("This language is already on row %(row)s.")
                    % {"row": entry["rows"][language]},
                )
            )
        entry["rows"][language] = line
        body = cells["body"].strip()
        if body:
            text = TextData(body=body, title=cells["language_title"].strip())
            entry["texts"][language] = text
            for field, message in rules.text_problems(language, text):
                column = CSV_FIELDS.get(field.split(".")[-1])
                if column is not None:  # a bad language code was reported above
                    problems.append(RowProblem(line, shortcut, column, message))
    replies = []
    for shortcut, entry in entries.items():
        reply = ReplyData(shortcut=shortcut, texts=entry["texts"], **entry["fields"])
        replies.append((entry["row"], reply))
    # Text problems were reported on their own rows above; the entry's on its first row.
    problems += library_problems(replies, texts=False)
    if problems:
        raise LibraryUnreadable(sorted(problems, key=lambda p: (p.row, p.field)))
    return [reply for _, reply in replies]


# -- both ----------------------------------------------------------------------------------


def size_check(data: bytes) -> None:
    if len(data) > FILE_MAX_BYTES:
        raise LibraryUnreadable(
            [
                RowProblem(
                    0,
                    "",
                    "",
                    _("The file is larger than %(n)s MB.") % {"n": FILE_MAX_BYTES // 1024 // 1024},
                )
            ]
        )


def library_problems(
    replies: list[tuple[int, ReplyData]], *, texts: bool = True
) -> list[RowProblem]:
    """Each entry's problems (its texts' too unless `texts` is False), duplicate
    shortcuts, too many entries."""
    problems: list[RowProblem] = []
    if len(replies) > rules.REPLIES_MAX:
        problems.append(
            RowProblem(
                0, "", "", _("At most %(n)s entries in a library.") % {"n": rules.REPLIES_MAX}
            )
        )
    first: dict[str, int] = {}
    for row, reply in replies:
        found = rules.reply_problems(reply) if texts else rules.entry_problems(reply)
        for field, message in found:
            problems.append(RowProblem(row, reply.shortcut, field, message))
        if reply.shortcut in first:
            problems.append(
                RowProblem(
                    row,
                    reply.shortcut,
                    "shortcut",
                    _("This shortcut is already used by entry %(row)s.")
                    % {"row": first[reply.shortcut]},
                )
            )
        else:
            first[reply.shortcut] = row
    return problems
