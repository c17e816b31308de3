"""Load a canned-reply library file (JSON, as exported) — by default the starter library
(ops/canned/starter_library.json), marked "to be reviewed by the association's medical
and legal staff before use".

    manage.py canned_load                      # add the starter entries that are missing,
                                               # correct the ones nobody changed
    manage.py canned_load library.json         # an association's own file
    manage.py canned_load library.csv --update # and overwrite existing entries

By default an entry whose shortcut exists is left as it is (the association's edits
win) — unless it still holds, word for word, an earlier version of a starter entry
(ops/canned/starter_superseded.json): then nobody changed it, and the corrected starter
text replaces it, as a new version to review. The entries kept are named, so that a
coordinator can compare them with the starter library. ``--update`` merges the file
into existing entries (their other languages stay), ``--replace`` makes the library
exactly the file. All or nothing: a file with any
problem is refused, every problem listed.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.canned import formats, services
from ops.canned.errors import LibraryImportRefused

STARTER_LIBRARY = Path(__file__).resolve().parents[2] / "canned" / "starter_library.json"
STARTER_SUPERSEDED = STARTER_LIBRARY.with_name("starter_superseded.json")


def starter_superseded() -> dict[str, set[str]]:
    """The content fingerprints of earlier versions of the starter entries, by shortcut."""
    superseded = json.loads(STARTER_SUPERSEDED.read_text("utf-8"))["superseded"]
    return {shortcut: set(fingerprints) for shortcut, fingerprints in superseded.items()}


class Command(BaseCommand):
    help = "Load canned replies from a library file (the starter library by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(STARTER_LIBRARY))
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--update", action="store_true", help="overwrite existing entries")
        mode.add_argument("--replace", action="store_true", help="the library becomes the file")

    def handle(self, *args, path: str, update: bool, replace: bool, **options) -> None:
        source = Path(path)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc}") from exc
        read = (
            formats.library_from_csv
            if source.suffix.lower() == ".csv"
            else formats.library_from_json
        )
        try:
            replies = read(data)
            result = services.canned_library_import(
                replies=replies,
                replace=replace,
                keep_existing=not (update or replace),
                superseded=starter_superseded() if source == STARTER_LIBRARY else None,
                now=timezone.now(),
            )
        except (formats.LibraryUnreadable, LibraryImportRefused) as exc:
            lines = [
                f"  row {p.row} {('/' + p.shortcut) if p.shortcut else ''} {p.field}: {p.message}"
                for p in exc.problems
            ]
            raise CommandError("nothing was loaded:\n" + "\n".join(lines)) from exc
        counts = ", ".join(f"{name} {count}" for name, count in result.as_json().items())
        self.stdout.write(f"Canned replies from {source.name}: {counts}.")
        if result.kept:
            kept = " ".join(f"/{shortcut}" for shortcut in result.kept)
            self.stdout.write(
                f"Kept as the association wrote them (compare with {source.name}): {kept}"
            )
