"""`manage.py chat_expire [--dry-run]`: run automatic expiry once, now.

The periodic job (chat.expiry.expiry_job) does the same every minute; this is for an
operator who wants to see what it would delete (`--dry-run`: nothing is deleted and
nothing counted) or to run it by hand. Safe beside running workers.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chat.expiry import (
    conversations_expire,
    empty_conversations_delete,
    expiry_policy,
    expiry_preview,
)


class Command(BaseCommand):
    help = "Delete expired conversations now (or, with --dry-run, say what would go)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted; delete nothing.",
        )

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        policy = expiry_policy()
        self.stdout.write(
            f"Policy: idle conversations go after {policy.idle_days} days without "
            f"activity, closed ones {policy.closed_days} days after closing."
        )
        now = timezone.now()
        if dry_run:
            preview = expiry_preview(now=now)
            self.stdout.write(
                "Dry run, nothing deleted. Would delete: "
                + ", ".join(f"{name} {count}" for name, count in preview.items())
            )
            return
        deleted = conversations_expire(now=now)
        self.stdout.write(f"Deleted {deleted} expired conversations.")
        empty = empty_conversations_delete(now=now)
        self.stdout.write(f"Deleted {empty} conversations whose visitor never wrote.")
