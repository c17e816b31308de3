"""Finding a canned reply by what staff type after the slash: its shortcut, a title (the
entry's or one of its languages') or a tag — in any language and script.

The picker searches in the browser (ops/static/ops/canned-search.js, the same rules);
this module serves the API's ``?q=`` and is the reference both are tested against
(tests/fixtures/canned_search_vectors.json).

Rules (keep both implementations equal):

- **folding**: NFD, then combining marks are dropped when they follow a Latin letter
  (é → e, ș → s, ã → a) — Cyrillic and other scripts keep theirs (й stays й) —, then NFC
  and lower case. Chinese has no case: it is matched as written.
- the query loses a leading "/", is folded and split on white space; every word must be
  found in the entry; an empty query lists every entry.
- a word's rank is 0 if the shortcut starts with it, 1 if a title or tag starts with it
  or has a part that does (parts are split on spaces and ``- _ / ' ’ ( ) , . ; : « » "``),
  2 if it is found anywhere in the shortcut, a title or a tag; an entry's score is the
  sum over the words. Best (lowest) score first, then by shortcut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEPARATORS = re.compile(r"[\s\-_/'’(),.;:«»\"]+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    base = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if "a" <= base <= "z" or "A" <= base <= "Z":
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).lower()


def query_words(query: str) -> list[str]:
    return fold(query.strip().removeprefix("/")).split()


@dataclass(frozen=True)
class Searchable:
    """What one entry is found by: its shortcut, its titles (the entry's and its
    languages'), its tags."""

    key: object
    shortcut: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, key: object, shortcut: str, titles: Iterable[str], tags: Iterable[str]):
        return cls(
            key=key, shortcut=fold(shortcut), names=tuple(fold(n) for n in (*titles, *tags) if n)
        )


def word_rank(word: str, entry: Searchable) -> int | None:
    if entry.shortcut.startswith(word):
        return 0
    for name in entry.names:
        if name.startswith(word) or any(part.startswith(word) for part in SEPARATORS.split(name)):
            return 1
    if word in entry.shortcut or any(word in name for name in entry.names):
        return 2
    return None


def search(entries: Sequence[Searchable], query: str) -> list[object]:
    """The keys of the entries that match, best first."""
    words = query_words(query)
    scored = []
    for entry in entries:
        score = 0
        for word in words:
            rank = word_rank(word, entry)
            if rank is None:
                break
            score += rank
        else:
            scored.append((score, entry.shortcut, entry.key))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [key for _, _, key in scored]
