"""What a canned reply may hold: the checks every write shares (the API, the admin,
imports and ``canned_load``), so a library can never hold what the picker cannot use.

A problem is reported as ``(field, message)``: ``field`` names what is wrong in the
API's and the import's terms (``shortcut``, ``texts.bg.body``…), ``message`` says it to
the coordinator in their language.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

SHORTCUT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# A language, with a region where the region changes what a reader needs: "bg", "pt-BR"
# (BCP 47 case: the language lower-case, the region upper-case; language_clean makes it).
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
LANGUAGE_MAX = 6
# The languages every entry is expected in: the visitor side's (DESIGN §2.6), and
# Brazilian Portuguese beside the Portuguese of Portugal ("pt"), since many of the
# Portuguese-speaking people reached are Brazilian. An association adds another simply
# by writing a text in it; from then on every entry lacking it says so. Chinese is
# Simplified ("zh" = zh-Hans, as on the widget).
BASE_LANGUAGES = ("fr", "en", "bg", "ro", "ru", "es", "pt", "pt-BR", "zh")
# Shown beside the conversation's language in the picker: what staff read.
REFERENCE_LANGUAGE = "fr"
# Variables a body may use; the staff browser fills them in. `next_opening` comes from
# the rota (the dashboard's `next_opening`), the others from CannedVariable values.
VARIABLES = ("next_opening", "address", "hours", "testing_centre", "phone")
STORED_VARIABLES = ("address", "hours", "testing_centre", "phone")
VARIABLE_PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

TITLE_MAX = 120
BODY_MAX = 3000  # a message is at most 8,000 characters: room for two or three replies
TAG_MAX = 60
TAGS_MAX = 40
SOURCE_MAX = 300
SOURCES_MAX = 12
VALUE_MAX = 500
REPLIES_MAX = 500


@dataclass(frozen=True)
class TextData:
    """One language of an entry: its title in that language (optional, searchable) and
    the body sent to the visitor."""

    body: str
    title: str = ""


@dataclass(frozen=True)
class ReplyData:
    """An entry as the API, the import and the starter library hand it to the services."""

    shortcut: str
    title: str
    tags: tuple[str, ...] = ()
    reviewed: bool = False
    sources: tuple[str, ...] = ()
    texts: dict[str, TextData] = field(default_factory=dict)


Problem = tuple[str, str]


def content_fingerprint(texts: dict[str, TextData], sources: Iterable[str]) -> str:
    """SHA-256 of what an entry tells visitors and what it rests on (its texts in every
    language and its sources), as stored: the same content always gives the same
    fingerprint, whatever the order of languages. Used to recognise a starter entry the
    association never changed (ops/canned/starter_superseded.json)."""
    content = {
        "texts": {lang: [text.title, text.body] for lang, text in sorted(texts.items())},
        "sources": list(sources),
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def language_clean(text: str) -> str:
    """A language as typed ("PT_br ", "BG") as it is stored ("pt-BR", "bg"). What is not
    a language comes out as something language_problems refuses."""
    primary, _, region = text.strip().replace("_", "-").partition("-")
    return f"{primary.lower()}-{region.upper()}" if region else primary.lower()


def shortcut_clean(text: str) -> str:
    """What people type ("/PrEP ") as it is stored ("prep"): no slash, lower case."""
    return text.strip().removeprefix("/").strip().lower()


def tags_clean(tags: Iterable[str]) -> tuple[str, ...]:
    """Trimmed, without empties or case-insensitive duplicates, in the order given."""
    seen: set[str] = set()
    cleaned = []
    for tag in tags:
        tag = " ".join(tag.split())
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            cleaned.append(tag)
    return tuple(cleaned)


def sources_clean(sources: Iterable[str]) -> tuple[str, ...]:
    return tuple(source.strip() for source in sources if source.strip())


def body_fill(body: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The body with its variables replaced by ``values``, and the names of those it
    uses but ``values`` lacks (or has empty). A missing value is left as written
    (``{phone}``) for staff to fill in by hand: never replaced by nothing. Braces that
    are not one of VARIABLES are text. The staff browser does the same
    (ops/static/ops/canned-text.js; shared vectors in tests/fixtures/canned_vectors.json).
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        value = values.get(name, "").strip()
        if not value:
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return value

    return VARIABLE_PATTERN.sub(replace, body), missing


def variable_values_for(language: str, values: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """The values that apply to a conversation in ``language``, from ``(name, language,
    value)`` rows: a language's own value wins over the one for every language ("")."""
    chosen: dict[str, str] = {}
    for name, row_language, value in values:
        if row_language == "" and name not in chosen:
            chosen[name] = value
    for name, row_language, value in values:
        if row_language == language:
            chosen[name] = value
    return chosen


def body_variables(body: str) -> list[str]:
    """The variable names a body uses, in order of first use."""
    return list(dict.fromkeys(VARIABLE_PATTERN.findall(body)))


def language_problems(language: str, where: str) -> list[Problem]:
    if not LANGUAGE_PATTERN.match(language):
        return [
            (
                where,
                str(_("A two- or three-letter language code, with a region if needed: bg, pt-BR.")),
            )
        ]
    return []


def text_problems(language: str, text: TextData) -> list[Problem]:
    where = f"texts.{language}"
    problems = language_problems(language, where)
    if not text.body.strip():
        problems.append((f"{where}.body", str(_("The text is empty."))))
    if len(text.body) > BODY_MAX:
        problems.append(
            (f"{where}.body", str(_("A text is at most %(n)s characters.") % {"n": BODY_MAX}))
        )
    if len(text.title) > TITLE_MAX:
        problems.append(
            (f"{where}.title", str(_("A title is at most %(n)s characters.") % {"n": TITLE_MAX}))
        )
    unknown = [name for name in body_variables(text.body) if name not in VARIABLES]
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in VARIABLES)
        problems.append(
            (
                f"{where}.body",
                str(
                    _("Unknown variable %(names)s. The variables are: %(known)s.")
                    % {"names": ", ".join(f"{{{name}}}" for name in unknown), "known": known}
                ),
            )
        )
    return problems


def reply_problems(reply: ReplyData) -> list[Problem]:
    """Everything wrong with an entry, or nothing. Uniqueness of the shortcut is the
    database's to say (services)."""
    problems = entry_problems(reply)
    for language, text in reply.texts.items():
        problems += text_problems(language, text)
    return problems


def entry_problems(reply: ReplyData) -> list[Problem]:
    """What is wrong with an entry's own fields (not its texts')."""
    problems: list[Problem] = []
    if not SHORTCUT_PATTERN.match(reply.shortcut):
        problems.append(
            (
                "shortcut",
                str(
                    _(
                        "A shortcut is 1 to 32 characters: lower-case letters a–z, digits, "
                        "- and _ (no accents, no spaces), e.g. /prep."
                    )
                ),
            )
        )
    if not reply.title.strip():
        problems.append(("title", str(_("Give a title."))))
    elif len(reply.title) > TITLE_MAX:
        problems.append(
            ("title", str(_("A title is at most %(n)s characters.") % {"n": TITLE_MAX}))
        )
    if len(reply.tags) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in reply.tags):
        problems.append(
            (
                "tags",
                str(
                    _("At most %(count)s tags of at most %(n)s characters each.")
                    % {"count": TAGS_MAX, "n": TAG_MAX}
                ),
            )
        )
    if len(reply.sources) > SOURCES_MAX or any(len(s) > SOURCE_MAX for s in reply.sources):
        problems.append(
            (
                "sources",
                str(
                    _("At most %(count)s sources of at most %(n)s characters each.")
                    % {"count": SOURCES_MAX, "n": SOURCE_MAX}
                ),
            )
        )
    if not reply.texts:
        problems.append(("texts", str(_("Write the text in at least one language."))))
    return problems


def variable_problems(name: str, language: str, value: str) -> list[Problem]:
    problems: list[Problem] = []
    if name not in STORED_VARIABLES:
        problems.append(("name", str(_("Unknown variable."))))
    if language:
        problems += language_problems(language, "language")
    if len(value) > VALUE_MAX:
        problems.append(
            ("value", str(_("A value is at most %(n)s characters.") % {"n": VALUE_MAX}))
        )
    return problems


def languages_ordered(codes: Iterable[str]) -> list[str]:
    """The base languages first, in their order, then any other, alphabetically."""
    others = sorted(set(codes) - set(BASE_LANGUAGES))
    return [*BASE_LANGUAGES, *others]
