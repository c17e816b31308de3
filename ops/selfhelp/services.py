"""Writes of the self-help pages (STYLE.md habit 1): each checks the content rules
(ops/selfhelp/content.py) first, is one transaction, and is in the audit log by its
author (None: the helpline, e.g. ``selfhelp_load``) — what changed and where, never the
text itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from audit.models import Action
from ops.canned.models import CannedReply
from ops.errors import NotFound, OpsError
from ops.selfhelp.content import (
    AnswerData,
    AnswerTextData,
    PagesData,
    Problem,
    SectionTextData,
    answer_text_problems,
    pages_problems,
    section_text_problems,
)
from ops.selfhelp.models import SelfHelpAnswer, SelfHelpSectionText, SelfHelpText


class PagesInvalid(OpsError):
    """What was written breaks the rules; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


@transaction.atomic
def selfhelp_language_save(
    *,
    section: str,
    language: str,
    title: str,
    intro: str,
    answers: dict[int, AnswerTextData | None],
    actor: Any,
    now: datetime,
) -> list[str]:
    """A coordinator's edit of one section in one language: the section's title and
    introduction, and each answer's question, text and where to go (None: that
    language's text removed). Returns the keys of the answers that changed; each change
    is one audit entry naming the section, the answer and the language."""
    problems = section_text_problems(f"sections.{section}", language, SectionTextData(title, intro))
    rows = {
        answer.pk: answer
        for answer in SelfHelpAnswer.objects.select_for_update().filter(section=section)
    }
    for answer_id, text in answers.items():
        if answer_id not in rows:
            raise NotFound("no such answer in this section")
        if text is not None:
            where = f"answers.{rows[answer_id].key}.texts.{language}"
            problems += answer_text_problems(where, language, text)
    if problems:
        raise PagesInvalid(problems)
    changed: list[str] = []
    current = SelfHelpSectionText.objects.filter(section=section, language=language).first()
    if current is None or (current.title, current.intro) != (title, intro):
        SelfHelpSectionText.objects.update_or_create(
            section=section, language=language, defaults={"title": title, "intro": intro}
        )
        audit.record(actor, Action.SELFHELP_CHANGED, f"{section} [{language}]", {"part": "section"})
    for answer_id, text in answers.items():
        answer = rows[answer_id]
        existing = SelfHelpText.objects.filter(answer=answer, language=language).first()
        before = (
            AnswerTextData(existing.question, existing.body, existing.where) if existing else None
        )
        if before == text:
            continue
        if text is None:
            existing.delete()
        else:
            SelfHelpText.objects.update_or_create(
                answer=answer,
                language=language,
                defaults={"question": text.question, "body": text.body, "where": text.where},
            )
        answer.updated_at = now
        answer.save(update_fields=["updated_at"])
        changed.append(answer.key)
        audit.record(
            actor,
            Action.SELFHELP_CHANGED,
            f"{section}/{answer.key} [{language}]",
            {
                "created": before is None,
                "deleted": text is None,
                "fields": ",".join(
                    name
                    for name in ("question", "body", "where")
                    if getattr(before, name, "") != getattr(text, name, "")
                ),
            },
        )
    return changed


def canned_by_shortcut(answers: tuple[AnswerData, ...]) -> dict[str, CannedReply]:
    shortcuts = {answer.canned for answer in answers if answer.canned}
    found = {reply.shortcut: reply for reply in CannedReply.objects.filter(shortcut__in=shortcuts)}
    unknown = sorted(shortcuts - set(found))
    if unknown:
        raise PagesInvalid(
            [
                ("canned", _("No canned reply /%(shortcut)s.") % {"shortcut": shortcut})
                for shortcut in unknown
            ]
        )
    return found


@transaction.atomic
def selfhelp_import(
    *,
    pages: PagesData,
    replace: bool = False,
    keep_existing: bool = False,
    actor: Any = None,
    now: datetime,
) -> dict[str, int]:
    """Bring a pages file in, all or nothing, answers matched by key, sections by name.

    - default (merge): new answers are created; an existing one takes the file's section,
      canned reply and texts (its other languages are kept: a translator's file with
      only their language loses nothing); section texts likewise;
    - ``replace``: the pages become exactly the file (answers and texts it lacks go);
    - ``keep_existing``: what exists is left as it is (the starter pages never overwrite
      what the association wrote); only what is missing is added.

    An answer's position is its order in the file within its section.
    """
    problems = pages_problems(pages)
    if problems:
        raise PagesInvalid(problems)
    canned = canned_by_shortcut(pages.answers)
    counts = {"created": 0, "updated": 0, "deleted": 0, "kept": 0}
    for section in pages.sections:
        for language, text in section.texts.items():
            exists = SelfHelpSectionText.objects.filter(
                section=section.section, language=language
            ).exists()
            if exists and keep_existing:
                continue
            SelfHelpSectionText.objects.update_or_create(
                section=section.section,
                language=language,
                defaults={"title": text.title, "intro": text.intro},
            )
        if replace:
            SelfHelpSectionText.objects.filter(section=section.section).exclude(
                language__in=list(section.texts)
            ).delete()
    existing = {answer.key: answer for answer in SelfHelpAnswer.objects.select_for_update()}
    positions: dict[str, int] = {}
    for item in pages.answers:
        position = positions.get(item.section, 0)
        positions[item.section] = position + 1
        answer = existing.get(item.key)
        if answer is not None and keep_existing:
            counts["kept"] += 1
            continue
        if answer is None:
            answer = SelfHelpAnswer(key=item.key)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        answer.section = item.section
        answer.position = position
        answer.canned = canned.get(item.canned) if item.canned else None
        answer.updated_at = now
        answer.save()
        for language, text in item.texts.items():
            SelfHelpText.objects.update_or_create(
                answer=answer,
                language=language,
                defaults={"question": text.question, "body": text.body, "where": text.where},
            )
        if replace:
            answer.texts.exclude(language__in=list(item.texts)).delete()
    if replace:
        keys = {item.key for item in pages.answers}
        gone = [answer.pk for key, answer in existing.items() if key not in keys]
        counts["deleted"] = (
            SelfHelpAnswer.objects.filter(pk__in=gone).delete()[1].get("ops.SelfHelpAnswer", 0)
        )
    audit.record(actor, Action.SELFHELP_IMPORTED, "pages", {**counts, "replace": replace})
    return counts
