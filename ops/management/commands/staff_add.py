"""Create a staff account with its profile.

    manage.py staff_add nurse --label "Infirmière"              # asks for the password
    manage.py staff_add coord --label "Coordinatrice" --coordinator --password-stdin < pw

The password is never taken from the command line (it would show in `ps` and shell
history): it is typed, or read from standard input.
"""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ops.devices.services import staff_member_create
from ops.models import DEFAULT_PUBLIC_LABEL


class Command(BaseCommand):
    help = "Create a staff account (with its staff profile)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default=DEFAULT_PUBLIC_LABEL, help="shown to visitors")
        parser.add_argument("--coordinator", action="store_true")
        parser.add_argument("--interpreter", action="store_true")
        parser.add_argument(
            "--languages",
            default="",
            help="comma-separated codes, e.g. bg,ru (routing, interpreting)",
        )
        parser.add_argument("--password-stdin", action="store_true")

    def handle(self, *args, username: str, label: str, **options) -> None:
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} exists")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the passwords differ")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        staff_member_create(
            username=username,
            password=password,
            public_label=label,
            is_coordinator=options["coordinator"],
            is_interpreter=options["interpreter"],
            languages=options["languages"].split(","),
        )
        self.stdout.write(f"Staff account {username!r} created.")
