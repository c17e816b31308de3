"""Reads of the canned replies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ops.canned import rules, search
from ops.canned.models import CannedReply, CannedVariable
from ops.canned.rules import ReplyData, TextData


def replies_all() -> list[CannedReply]:
    """Every entry with its texts, by shortcut."""
    return list(CannedReply.objects.prefetch_related("texts").order_by("shortcut"))


def reply_data(reply: CannedReply) -> ReplyData:
    """An entry as the formats and the services take it (texts in language order)."""
    texts = {text.language: text for text in reply.texts.all()}
    return ReplyData(
        shortcut=reply.shortcut,
        title=reply.title,
        tags=tuple(reply.tags),
        reviewed=reply.reviewed,
        sources=tuple(reply.sources),
        texts={
            language: TextData(body=texts[language].body, title=texts[language].title)
            for language in rules.languages_ordered(texts)
            if language in texts
        },
    )


def library_languages(replies: Iterable[CannedReply]) -> list[str]:
    """The languages every entry is expected in: the base languages and any other that
    some entry has a text in."""
    return rules.languages_ordered(text.language for reply in replies for text in reply.texts.all())


def missing_languages(reply: CannedReply, languages: Sequence[str]) -> list[str]:
    present = {text.language for text in reply.texts.all()}
    return [language for language in languages if language not in present]


def replies_search(replies: Sequence[CannedReply], query: str) -> list[CannedReply]:
    """The entries that match what staff typed, best first (ops/canned/search.py)."""
    entries = [
        search.Searchable.of(
            reply,
            reply.shortcut,
            [reply.title, *(text.title for text in reply.texts.all())],
            reply.tags,
        )
        for reply in replies
    ]
    return search.search(entries, query)  # type: ignore[return-value]


def variables_all() -> list[CannedVariable]:
    return list(CannedVariable.objects.order_by("name", "language"))
