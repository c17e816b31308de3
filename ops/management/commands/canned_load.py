"""Load a canned-reply library file (JSON, as exported) — by default the starter library
(ops/canned/starter_library.json), marked "to be reviewed by the association's medical
staff before use".

    manage.py canned_load                      # add the starter entries that are missing
    manage.py canned_load library.json         # an association's own file
    manage.py canned_load library.csv --update # and overwrite existing entries

By default an entry whose shortcut exists is left as it is (the association's edits
win); ``--update`` merges the file into existing entries (their other languages stay),
``--replace`` makes the library exactly the file. All or nothing: a file with any
problem is refused, every problem listed.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.canned import formats, services
from ops.canned.errors import LibraryImportRefused

STARTER_LIBRARY = Path(__file__).resolve().parents[2] / "canned" / "starter_library.json"


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
