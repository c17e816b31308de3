"""Run one encrypted round trip against a running server and say how long each step took.

    manage.py chat_smoke --url http://127.0.0.1:8000

By default it uses the demo helpline's staff account and device key (``make run`` made
them under var/demo/); pass --username/--password/--totp-secret/--device-key/--fingerprint
otherwise.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat.client.smoke import SmokeFailed, TeamKeyMissing, smoke_round_trip
from chat.crypto.keys import DeviceKeys


class Command(BaseCommand):
    help = "One full encrypted round trip (new visitor → staff device → visitor)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--username")
        parser.add_argument("--password")
        parser.add_argument(
            "--totp-secret", help="the account's authenticator secret (base32): the second factor"
        )
        parser.add_argument("--device-key", type=Path)
        parser.add_argument("--fingerprint", help="admin key fingerprint (hex, spaces allowed)")

    def handle(self, *args, url: str, **options) -> None:
        demo = self.demo_defaults()
        username = options["username"] or demo.get("username")
        password = options["password"] or demo.get("password")
        device_key = options["device_key"] or Path(settings.CHAT_DEMO_DIR) / "staff.device.json"
        fingerprint = (options["fingerprint"] or demo.get("fingerprint", "")).replace(" ", "")
        if not (username and password and fingerprint and device_key.exists()):
            raise CommandError("no demo helpline found: run `make run` first, or pass the options")
        self.stdout.write(f"chat_smoke against {url}")
        try:
            report = asyncio.run(
                smoke_round_trip(
                    url,
                    username=username,
                    password=password,
                    device=DeviceKeys.load(device_key),
                    admin_fingerprint=bytes.fromhex(fingerprint),
                    say=self.stdout.write,
                    campaign=demo.get("campaign"),
                    totp_secret=options["totp_secret"] or demo.get("totp_secret"),
                )
            )
        except TeamKeyMissing as exc:
            raise CommandError(
                f"round trip failed: {exc} This device's key file: {device_key}."
            ) from exc
        except SmokeFailed as exc:
            raise CommandError(f"round trip failed: {exc}.") from exc
        except Exception as exc:
            # Never a bare "TimeoutError:": what failed is named even when it says nothing.
            said = str(exc) or "no answer in the time allowed"
            raise CommandError(f"round trip failed: {type(exc).__name__}: {said}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"OK: encrypted round trip in {report.total_ms:.0f} ms")
        )

    def demo_defaults(self) -> dict:
        path = Path(settings.CHAT_DEMO_DIR) / "demo.json"
        return json.loads(path.read_text()) if path.exists() else {}
