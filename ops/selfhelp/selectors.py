"""Reads of the self-help pages: what a visitor's page shows, what the coordinator's
pages list, what an export holds."""

from __future__ import annotations

import hashlib
import json

from ops.canned import rules as canned_rules
from ops.canned.models import CannedText, CannedVariable
from ops.selfhelp.content import (
    AnswerData,
    AnswerTextData,
    PagesData,
    SectionData,
    SectionTextData,
)
from ops.selfhelp.models import Section, SelfHelpAnswer, SelfHelpSectionText
from ops.selfhelp.rendering import markdown_render, plain_render

# A visitor whose language an answer lacks reads it in the first of these it has (the
# page marks its language, so a screen reader reads it right).
FALLBACK_LANGUAGES = ("en", "fr")


def language_chain(language: str) -> list[str]:
    """ "pt-BR" → pt-BR, pt, en, fr: the languages to try, best first."""
    chain = [language, language.split("-")[0], *FALLBACK_LANGUAGES]
    return list(dict.fromkeys(chain))


def first_in(texts: dict, chain: list[str]) -> tuple[str, object] | tuple[None, None]:
    for language in chain:
        if language in texts:
            return language, texts[language]
    return None, None


def variable_rows() -> list[tuple[str, str, str]]:
    return list(CannedVariable.objects.values_list("name", "language", "value"))


def visitor_pages(*, language: str) -> dict:
    """Everything the visitor's pages show in ``language``, as safe HTML: settings.
    WIDGET_PAGES_PROVIDER (widget/pages.py calls it on each page; nothing is written).

    ``{"sections": [{"section", "title", "intro_html", "lang", "answers": [{"key",
    "question", "body_html", "where_html", "lang"}]}], "fingerprint"}`` — the four
    sections in their order, each with its answers; an answer with neither a question
    nor a text in any language of the chain is left out. ``fingerprint`` changes
    whenever anything shown changes (the offline copy's version, widget/pages.py).
    """
    chain = language_chain(language)
    values = canned_rules.variable_values_for(language, variable_rows())
    section_texts: dict[str, dict[str, SelfHelpSectionText]] = {}
    for text in SelfHelpSectionText.objects.all():
        section_texts.setdefault(text.section, {})[text.language] = text
    answers = list(
        SelfHelpAnswer.objects.prefetch_related("texts")
        .select_related("canned")
        .order_by("position", "key")
    )
    canned_texts: dict[int, dict[str, CannedText]] = {}
    for text in CannedText.objects.filter(reply__selfhelp_answers__isnull=False).distinct():
        canned_texts.setdefault(text.reply_id, {})[text.language] = text
    sections = []
    for section in Section:
        title_language, title = first_in(section_texts.get(section.value, {}), chain)
        shown = []
        for answer in answers:
            if answer.section != section.value:
                continue
            own = {text.language: text for text in answer.texts.all()}
            question_language, text = first_in(own, chain)
            if text is None:
                continue
            if answer.canned_id is not None:
                body_language, canned = first_in(canned_texts.get(answer.canned_id, {}), chain)
                body_html = plain_render(canned.body, values) if canned else ""
            else:
                body_language, written = first_in(
                    {code: item for code, item in own.items() if item.body.strip()}, chain
                )
                body_html = markdown_render(written.body, values) if written else ""
            where_html = markdown_render(text.where, values) if text.where else ""
            if not (body_html or where_html):
                continue  # nothing to say yet (e.g. an address not set)
            shown.append(
                {
                    "key": answer.key,
                    "question": text.question,
                    "lang": question_language,
                    "body_html": body_html,
                    "body_lang": body_language or question_language,
                    "where_html": where_html,
                }
            )
        sections.append(
            {
                "section": section.value,
                "title": title.title if title else str(section.label),
                "lang": title_language or "en",
                "intro_html": markdown_render(title.intro, values) if title and title.intro else "",
                "answers": shown,
            }
        )
    fingerprint = hashlib.sha256(
        json.dumps(sections, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return {"sections": sections, "fingerprint": fingerprint}


def pages_data() -> PagesData:
    """Everything, as an export holds it (sections in their order, answers by section
    and position)."""
    section_rows: dict[str, dict[str, SectionTextData]] = {}
    for text in SelfHelpSectionText.objects.all():
        section_rows.setdefault(text.section, {})[text.language] = SectionTextData(
            title=text.title, intro=text.intro
        )
    answers = sorted(
        SelfHelpAnswer.objects.prefetch_related("texts").select_related("canned"),
        key=lambda answer: (Section.values.index(answer.section), answer.position, answer.key),
    )
    return PagesData(
        sections=tuple(
            SectionData(section=section, texts=ordered(section_rows.get(section, {})))
            for section in Section.values
            if section in section_rows
        ),
        answers=tuple(
            AnswerData(
                key=answer.key,
                section=answer.section,
                canned=answer.canned.shortcut if answer.canned else "",
                texts=ordered(
                    {
                        text.language: AnswerTextData(text.question, text.body, text.where)
                        for text in answer.texts.all()
                    }
                ),
            )
            for answer in answers
        ),
    )


def ordered(texts: dict) -> dict:
    return {
        language: texts[language]
        for language in canned_rules.languages_ordered(texts)
        if language in texts
    }


def pages_languages() -> list[str]:
    """The languages the pages are expected in: the canned replies' base languages and
    any other some text is written in."""
    data = pages_data()
    codes = {code for section in data.sections for code in section.texts}
    codes |= {code for answer in data.answers for code in answer.texts}
    return canned_rules.languages_ordered(codes)


def missing_translations(data: PagesData, languages: list[str]) -> dict[str, list[str]]:
    """Per language, what lacks a text in it: "section:health", an answer's key, or
    "key (text)" for an answer of its own whose text is missing (its question is there)."""
    missing: dict[str, list[str]] = {language: [] for language in languages}
    present = {section.section: section.texts for section in data.sections}
    for language in languages:
        for section in Section.values:
            if language not in present.get(section, {}):
                missing[language].append(f"section:{section}")
        for answer in data.answers:
            text = answer.texts.get(language)
            if text is None:
                missing[language].append(answer.key)
            elif not answer.canned and not text.body.strip():
                missing[language].append(f"{answer.key} (text)")
    return missing


def section_answers(section: str) -> list[SelfHelpAnswer]:
    return list(
        SelfHelpAnswer.objects.filter(section=section)
        .prefetch_related("texts", "canned__texts")
        .select_related("canned")
        .order_by("position", "key")
    )
