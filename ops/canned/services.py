"""Writes of the canned replies (STYLE.md habit 1): every one checks the rules
(ops/canned/rules.py) first and is a single transaction — an import is all or nothing.

The review: what the visitor reads (the texts) and what it rests on (the sources) are
an entry's content; a change of content is a new ``version`` and is not reviewed. Only
``canned_reply_review`` marks a version reviewed, by a named coordinator; an import or
the API cannot carry "reviewed" in (a file's ``reviewed`` column is information, not a
review). Every write is in the audit log, by its author (None: the helpline, e.g.
``canned_load``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

import audit
from audit.models import Action
from ops.canned import rules
from ops.canned.errors import CannedInvalid, LibraryImportRefused, ReviewOutdated, ShortcutTaken
from ops.canned.formats import RowProblem
from ops.canned.models import CannedReply, CannedText, CannedVariable
from ops.canned.rules import ReplyData, TextData
from ops.errors import NotFound

ENTRY_FIELDS = ("shortcut", "title", "tags", "sources")


def reply_check(reply: ReplyData) -> None:
    problems = rules.reply_problems(reply)
    if problems:
        raise CannedInvalid(problems)


def texts_write(entry: CannedReply, texts: dict[str, TextData | None]) -> None:
    """Create, change or (None) delete the texts of these languages."""
    for language, text in texts.items():
        if text is None:
            CannedText.objects.filter(reply=entry, language=language).delete()
        else:
            CannedText.objects.update_or_create(
                reply=entry, language=language, defaults={"title": text.title, "body": text.body}
            )


def entry_save(entry: CannedReply) -> None:
    """Save, turning the unique shortcut's refusal into ShortcutTaken."""
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise ShortcutTaken(f"/{entry.shortcut} is taken") from exc


@transaction.atomic
def canned_reply_create(*, reply: ReplyData, now: datetime, actor: Any = None) -> CannedReply:
    """A new entry, version 1, not reviewed (whatever ``reply.reviewed`` says)."""
    reply_check(reply)
    if CannedReply.objects.filter(shortcut=reply.shortcut).exists():
        raise ShortcutTaken(f"/{reply.shortcut} is taken")
    entry = CannedReply(
        shortcut=reply.shortcut,
        title=reply.title,
        tags=list(reply.tags),
        sources=list(reply.sources),
        updated_at=now,
    )
    entry_save(entry)
    texts_write(entry, dict(reply.texts))
    audit.record(
        actor, Action.CANNED_CHANGED, f"/{entry.shortcut}", {"version": 1, "created": True}
    )
    return entry


@transaction.atomic
def canned_reply_update(
    *,
    reply_id: int,
    fields: dict[str, Any],
    texts: dict[str, TextData | None] | None = None,
    now: datetime,
    actor: Any = None,
) -> CannedReply:
    """Change some of an entry's fields (``fields``: any of ENTRY_FIELDS) and texts
    (language → text, or None to delete that language's); the rest is kept. A change of
    the texts or the sources is a new version, not reviewed."""
    entry = CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if entry is None:
        raise NotFound("no such canned reply")
    current = {
        text.language: TextData(body=text.body, title=text.title) for text in entry.texts.all()
    }
    merged = {**current, **(texts or {})}
    after = ReplyData(
        shortcut=fields.get("shortcut", entry.shortcut),
        title=fields.get("title", entry.title),
        tags=tuple(fields.get("tags", entry.tags)),
        sources=tuple(fields.get("sources", entry.sources)),
        texts={language: text for language, text in merged.items() if text is not None},
    )
    reply_check(after)
    if CannedReply.objects.filter(shortcut=after.shortcut).exclude(pk=entry.pk).exists():
        raise ShortcutTaken(f"/{after.shortcut} is taken")
    content_changed = after.texts != current or list(after.sources) != list(entry.sources)
    was_reviewed = entry.reviewed
    entry.shortcut = after.shortcut
    entry.title = after.title
    entry.tags = list(after.tags)
    entry.sources = list(after.sources)
    entry.updated_at = now
    if content_changed:
        entry.version += 1
        entry.reviewed = False
    entry_save(entry)
    if texts:
        texts_write(entry, texts)
    audit.record(
        actor,
        Action.CANNED_CHANGED,
        f"/{entry.shortcut}",
        {"version": entry.version, "review_lost": was_reviewed and content_changed},
    )
    return entry


@transaction.atomic
def canned_reply_content_changed(*, reply_id: int, actor: Any, now: datetime) -> CannedReply:
    """The texts or sources were changed elsewhere (the Django admin): a new version, not
    reviewed."""
    entry = CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if entry is None:
        raise NotFound("no such canned reply")
    was_reviewed = entry.reviewed
    entry.version += 1
    entry.reviewed = False
    entry.updated_at = now
    entry.save(update_fields=["version", "reviewed", "updated_at"])
    audit.record(
        actor,
        Action.CANNED_CHANGED,
        f"/{entry.shortcut}",
        {"version": entry.version, "review_lost": was_reviewed},
    )
    return entry


@transaction.atomic
def canned_reply_delete(*, reply_id: int, actor: Any = None) -> None:
    entry = CannedReply.objects.filter(pk=reply_id).first()
    if entry is None:
        raise NotFound("no such canned reply")
    entry.delete()
    audit.record(
        actor,
        Action.CANNED_CHANGED,
        f"/{entry.shortcut}",
        {"version": entry.version, "deleted": True},
    )


@transaction.atomic
def canned_reply_review(*, reply_id: int, version: int, actor: Any, now: datetime) -> CannedReply:
    """``actor`` (a coordinator: the caller checks) says the association's medical and
    legal staff checked ``version`` of this entry. Refused with ReviewOutdated when the
    entry has changed since that version was read: a review is of what was read."""
    entry = CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if entry is None:
        raise NotFound("no such canned reply")
    if version != entry.version:
        raise ReviewOutdated(f"/{entry.shortcut} is at version {entry.version}, not {version}")
    entry.reviewed = True
    entry.reviewed_version = entry.version
    entry.reviewed_by = actor
    entry.reviewed_by_name = actor.get_username()
    entry.reviewed_at = now
    entry.save(
        update_fields=[
            "reviewed",
            "reviewed_version",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
        ]
    )
    audit.record(actor, Action.CANNED_REVIEWED, f"/{entry.shortcut}", {"version": entry.version})
    return entry


@transaction.atomic
def canned_reply_review_withdraw(*, reply_id: int, actor: Any) -> CannedReply:
    """The entry is no longer marked reviewed (a mark made by mistake, or a doubt); who
    had reviewed it stays in the audit log."""
    entry = CannedReply.objects.select_for_update().filter(pk=reply_id).first()
    if entry is None:
        raise NotFound("no such canned reply")
    entry.reviewed = False
    entry.reviewed_version = None
    entry.reviewed_by = None
    entry.reviewed_by_name = ""
    entry.reviewed_at = None
    entry.save(
        update_fields=[
            "reviewed",
            "reviewed_version",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
        ]
    )
    audit.record(
        actor, Action.CANNED_REVIEW_WITHDRAWN, f"/{entry.shortcut}", {"version": entry.version}
    )
    return entry


@transaction.atomic
def canned_variables_set(*, values: list[tuple[str, str, str]]) -> list[CannedVariable]:
    """The helpline's variable values become exactly ``values`` — ``(name, language,
    value)``, language "" for every language; an empty value is no value."""
    problems: list[rules.Problem] = []
    seen: set[tuple[str, str]] = set()
    kept = []
    for position, (name, language, value) in enumerate(values):
        value = value.strip()
        for field, message in rules.variable_problems(name, language, value):
            problems.append((f"variables.{position}.{field}", message))
        if (name, language) in seen:
            problems.append(
                (f"variables.{position}", str(_("Two values for the same variable and language.")))
            )
        seen.add((name, language))
        if value:
            kept.append(CannedVariable(name=name, language=language, value=value))
    if problems:
        raise CannedInvalid(problems)
    CannedVariable.objects.all().delete()
    CannedVariable.objects.bulk_create(kept)
    return list(CannedVariable.objects.order_by("name", "language"))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # existing entries left as they were (keep_existing)
    kept: list[str] = dataclasses.field(default_factory=list)  # their shortcuts

    def as_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": self.skipped,
        }


@transaction.atomic
def canned_library_import(
    *,
    replies: list[ReplyData],
    replace: bool = False,
    keep_existing: bool = False,
    superseded: dict[str, set[str]] | None = None,
    now: datetime,
    actor: Any = None,
) -> ImportResult:
    """Bring a library file's entries in, all or nothing, matched by shortcut.

    - default (merge): a new shortcut is created; an existing entry takes the file's
      fields and the file's texts (its other languages are kept — a translator's file
      with only their language loses nothing);
    - ``replace``: the library becomes exactly the file (entries and texts it lacks are
      deleted);
    - ``keep_existing``: existing entries are left untouched (the starter library never
      overwrites what the association wrote) — except an entry whose content is still
      one of ``superseded[shortcut]`` (content fingerprints of earlier versions of the
      same file): nobody changed it, so the file's corrected text replaces it.

    The file's ``reviewed`` marks are not imported: an entry whose content the file
    changes is a new version, not reviewed; one it leaves as it is keeps its review.
    """
    problems = [
        RowProblem(position, reply.shortcut, field, message)
        for position, reply in enumerate(replies, 1)
        for field, message in rules.reply_problems(reply)
    ]
    if problems:
        raise LibraryImportRefused(problems)
    result = ImportResult()
    existing = {entry.shortcut: entry for entry in CannedReply.objects.prefetch_related("texts")}
    for reply in replies:
        entry = existing.get(reply.shortcut)
        if entry is None:
            canned_reply_create(reply=reply, now=now, actor=actor)
            result.created += 1
            continue
        current = {t.language: TextData(body=t.body, title=t.title) for t in entry.texts.all()}
        if keep_existing:
            fingerprint = rules.content_fingerprint(current, entry.sources)
            if fingerprint == rules.content_fingerprint(reply.texts, reply.sources):
                result.unchanged += 1
                continue
            if fingerprint not in (superseded or {}).get(reply.shortcut, set()):
                result.skipped += 1
                result.kept.append(reply.shortcut)
                continue
        texts: dict[str, TextData | None] = dict(reply.texts)
        if replace:
            texts.update({language: None for language in current if language not in reply.texts})
        same_fields = (
            entry.title == reply.title
            and tuple(entry.tags) == reply.tags
            and tuple(entry.sources) == reply.sources
        )
        same_texts = all(current.get(language) == text for language, text in texts.items())
        if same_fields and same_texts:
            result.unchanged += 1
            continue
        fields = {"title": reply.title, "tags": reply.tags, "sources": reply.sources}
        canned_reply_update(reply_id=entry.pk, fields=fields, texts=texts, now=now, actor=actor)
        result.updated += 1
    if replace:
        shortcuts = {reply.shortcut for reply in replies}
        for shortcut, entry in existing.items():
            if shortcut not in shortcuts:
                canned_reply_delete(reply_id=entry.pk, actor=actor)
                result.deleted += 1
    return result
