"""What the self-help pages hold, as the services, the import and the export hand it
around, and the checks every write shares (the staff page, imports, ``selfhelp_load``).

A problem is ``(field, message)`` like the canned replies' (ops/canned/rules.py):
``field`` names what is wrong (``answers.condoms.texts.ro.question``), ``message`` says
it to the coordinator in their language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ops.canned import rules as canned_rules
from ops.selfhelp.models import MARKDOWN_MAX, QUESTION_MAX, TITLE_MAX, Section

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ANSWERS_MAX = 200

Problem = tuple[str, str]


@dataclass(frozen=True)
class SectionTextData:
    title: str
    intro: str = ""


@dataclass(frozen=True)
class AnswerTextData:
    question: str
    body: str = ""
    where: str = ""


@dataclass(frozen=True)
class SectionData:
    section: str
    texts: dict[str, SectionTextData] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerData:
    """``canned``: the shortcut of the canned reply whose text the answer shows, or ""."""

    key: str
    section: str
    canned: str = ""
    texts: dict[str, AnswerTextData] = field(default_factory=dict)


@dataclass(frozen=True)
class PagesData:
    sections: tuple[SectionData, ...] = ()
    answers: tuple[AnswerData, ...] = ()


def markdown_problems(where: str, text: str) -> list[Problem]:
    if len(text) > MARKDOWN_MAX:
        return [(where, _("At most %(n)s characters.") % {"n": MARKDOWN_MAX})]
    return []


def section_text_problems(where: str, language: str, text: SectionTextData) -> list[Problem]:
    problems = canned_rules.language_problems(language, where)
    if not text.title.strip():
        problems.append((f"{where}.title", _("Give a title.")))
    elif len(text.title) > TITLE_MAX:
        problems.append((f"{where}.title", _("At most %(n)s characters.") % {"n": TITLE_MAX}))
    return problems + markdown_problems(f"{where}.intro", text.intro)


def answer_text_problems(where: str, language: str, text: AnswerTextData) -> list[Problem]:
    problems = canned_rules.language_problems(language, where)
    if not text.question.strip():
        problems.append((f"{where}.question", _("Write the question.")))
    elif len(text.question) > QUESTION_MAX:
        problems.append((f"{where}.question", _("At most %(n)s characters.") % {"n": QUESTION_MAX}))
    return (
        problems
        + markdown_problems(f"{where}.body", text.body)
        + markdown_problems(f"{where}.where", text.where)
    )


def answer_problems(answer: AnswerData) -> list[Problem]:
    where = f"answers.{answer.key}"
    problems: list[Problem] = []
    if not KEY_PATTERN.match(answer.key):
        problems.append(
            (
                f"{where}.key",
                _("A key is 1 to 40 characters: lower-case letters a–z, digits and -."),
            )
        )
    if answer.section not in Section.values:
        problems.append((f"{where}.section", _("Unknown section.")))
    for language, text in answer.texts.items():
        problems += answer_text_problems(f"{where}.texts.{language}", language, text)
    return problems


def pages_problems(pages: PagesData) -> list[Problem]:
    problems: list[Problem] = []
    seen_sections: set[str] = set()
    for section in pages.sections:
        where = f"sections.{section.section}"
        if section.section not in Section.values:
            problems.append((where, _("Unknown section.")))
        if section.section in seen_sections:
            problems.append((where, _("This section is there twice.")))
        seen_sections.add(section.section)
        for language, text in section.texts.items():
            problems += section_text_problems(f"{where}.texts.{language}", language, text)
    if len(pages.answers) > ANSWERS_MAX:
        problems.append(("answers", _("At most %(n)s answers.") % {"n": ANSWERS_MAX}))
    seen_keys: set[str] = set()
    for answer in pages.answers:
        problems += answer_problems(answer)
        if answer.key in seen_keys:
            problems.append((f"answers.{answer.key}", _("This key is there twice.")))
        seen_keys.add(answer.key)
    return problems
