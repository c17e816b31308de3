"""Print the demo account's current second-factor code (demo only).

    manage.py demo_totp

The demo account's authenticator secret is in var/demo/demo.json (``demo_seed`` made
it); this is what an authenticator app set up with it would show now. A real account's
secret is only in its owner's app and in the server's database.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat.client.totp import totp_now


class Command(BaseCommand):
    help = "Print the demo account's current TOTP code."

    def handle(self, *args, **options) -> None:
        path = Path(settings.CHAT_DEMO_DIR) / "demo.json"
        secret = json.loads(path.read_text()).get("totp_secret") if path.exists() else None
        if not secret:
            raise CommandError("no demo helpline found: run `make run` first")
        self.stdout.write(totp_now(secret))
