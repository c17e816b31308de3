"""Make the helpline's VAPID key for Web Push (docs/operations.md).

    manage.py push_keys                          # embedded default: var/vapid_private_key
    manage.py push_keys --out /run/secrets/vapid # production: then PUSH_VAPID_PRIVATE_KEY_FILE
    manage.py push_keys --public                 # the public key of the key in use

The private key is written to a file (mode 0600), never printed: it goes where the other
secrets go. An existing file is kept unless ``--replace`` (which unsubscribes every
browser: they subscribed with the old public key).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.push.vapid import vapid_key_write, vapid_public_key


def default_path() -> Path:
    return Path(settings.VAR_DIR) / "vapid_private_key"


class Command(BaseCommand):
    help = "Make the VAPID key that signs Web Push requests (kept like SECRET_KEY)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", type=Path, default=None, help="file for the private key")
        parser.add_argument("--replace", action="store_true", help="replace an existing key")
        parser.add_argument("--public", action="store_true", help="print the key in use")

    def handle(self, *args, out: Path | None, replace: bool, public: bool, **options) -> None:
        if public:
            key = vapid_public_key()
            if key is None:
                raise CommandError("No VAPID key is configured: push is off.")
            self.stdout.write(key)
            return
        path = out or default_path()
        if settings.PUSH_VAPID_PRIVATE_KEY and out is None and not replace:
            self.stdout.write("A VAPID key is configured already; nothing to do.")
            return
        if not vapid_key_write(path, replace=replace):
            self.stdout.write(f"{path} exists; kept (--replace to make a new key).")
        else:
            self.stdout.write(f"VAPID private key written to {path} (mode 0600).")
        if out is None and settings.EMBEDDED_DEFAULT:
            # This process (demo_seed, then serve) uses it at once, as the next ones will.
            settings.PUSH_VAPID_PRIVATE_KEY = path.read_text("utf-8").strip()
        elif out is not None:
            self.stdout.write(f"Set PUSH_VAPID_PRIVATE_KEY_FILE={path} where the helpline runs.")
