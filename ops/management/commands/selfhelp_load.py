"""Load the self-help pages from a file (JSON or CSV, as exported) — by default the
starter pages (ops/selfhelp/starter_pages.json), whose health, help and rights answers
take their text from the canned replies (load those first: ``canned_load``).

    manage.py selfhelp_load                   # add what is missing of the starter pages
    manage.py selfhelp_load pages.csv --update
    manage.py selfhelp_load pages.json --replace

By default what exists is kept (the association's edits win); ``--update`` merges the
file in, ``--replace`` makes the pages exactly the file. All or nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.selfhelp import formats, services

STARTER_PAGES = Path(__file__).resolve().parents[2] / "selfhelp" / "starter_pages.json"


class Command(BaseCommand):
    help = "Load the self-help pages from a file (the starter pages by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(STARTER_PAGES))
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--update", action="store_true", help="overwrite what exists")
        mode.add_argument("--replace", action="store_true", help="the pages become the file")

    def handle(self, *args, path: str, update: bool, replace: bool, **options) -> None:
        source = Path(path)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc}") from exc
        read = (
            formats.pages_from_csv if source.suffix.lower() == ".csv" else formats.pages_from_json
        )
        try:
            pages = read(data)
            counts = services.selfhelp_import(
                pages=pages,
                replace=replace,
                keep_existing=not (update or replace),
                now=timezone.now(),
            )
        except (formats.PagesUnreadable, services.PagesInvalid) as exc:
            raise CommandError(
                "\n".join(f"{where}: {message}" for where, message in exc.problems)
            ) from exc
        self.stdout.write(
            "Self-help pages: {created} created, {updated} updated, {deleted} deleted, "
            "{kept} kept as they were.".format(**counts)
        )
