"""Seed the demo helpline for ``make run`` (idempotent): admin key, a staff account with
a certified device, a team key wrapped to it, a campaign, and (ops/demo.py) the team and
its rota with a shift open now; then print what to open.

The demo's private keys, password and authenticator secret (the second factor) are
in var/demo/ (git-ignored, mode 0600) so that ``chat_smoke`` can act as the staff
device. A real helpline makes these in browsers, and each person enrols their own
authenticator app at their first sign-in.
"""

from __future__ import annotations

import json
import secrets
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from chat import keyring, selectors
from chat.client.totp import totp_now
from chat.crypto import suite1
from chat.crypto.keys import AdminKeys, key_file_write
from ops import clock
from ops.association import association_set
from ops.auth import two_factor
from ops.campaigns.services import campaign_create
from ops.demo import demo_rota_seed, demo_variables_seed
from ops.demo_activity import demo_activity_seed

DEMO_USER = "demo"


class Command(BaseCommand):
    help = "Seed a demo helpline and print how to use it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--without-open-shift",
            action="store_true",
            help="Seed the weekly rota only: the helpline is closed unless a slot is open.",
        )

    def handle(self, *args, url: str, without_open_shift: bool = False, **options) -> None:
        demo_dir = Path(settings.CHAT_DEMO_DIR)
        info_path = demo_dir / "demo.json"
        if not (info_path.exists() and selectors.admin_key_current()):
            self.seed(demo_dir, info_path)
        self.authenticator_ensure(info_path)
        # The staff side's demo (ops/demo.py): refreshed on every run, so the shift open
        # now is open whenever the demo is started again.
        demo_rota_seed(
            demo=get_user_model().objects.get(username=DEMO_USER),
            now=clock.now(),
            open_now=not without_open_shift,
        )
        call_command("canned_load", stdout=StringIO())  # the starter library (ops/canned/)
        call_command("selfhelp_load", stdout=StringIO())  # the pages beside the chat
        if settings.EMBEDDED_DEFAULT:  # Web Push's VAPID key, once
            call_command("push_keys", stdout=StringIO())
        demo_variables_seed()  # so /prep and the others are complete in the demo
        demo_activity_seed(now=clock.now())  # a year of campaigns and their counts
        self.announce(json.loads(info_path.read_text()), url, demo_dir)

    def seed(self, demo_dir: Path, info_path: Path) -> None:
        now = timezone.now()
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        admin = keyring.admin_create(now=now)
        admin.save(demo_dir / "admin.key.json")
        device = keyring.device_create(
            username=DEMO_USER, role="staff", label_text="demo device", now=now
        )
        device.save(demo_dir / "staff.device.json")
        keyring.device_certify_with(
            admin=AdminKeys.load(demo_dir / "admin.key.json"),
            device_id=device.device_id,
            days=365,
            now=now,
        )
        keyring.team_key_create(admin=admin, days=90, now=now)
        campaign = campaign_create(name="Démo — maraude numérique", now=now)
        # Under the welcome of the visitor's page (a coordinator sets it on the campaigns page).
        association_set(name="Association de démonstration", line="santé, droits, écoute · Paris")
        info = {
            "username": DEMO_USER,
            "password": password,
            "device_id": device.device_id,
            "campaign": campaign.code,
            "fingerprint": suite1.admin_fingerprint(admin.public).hex(),
        }
        key_file_write(info_path, info)

    def authenticator_ensure(self, info_path: Path) -> None:
        """The demo account's second factor: a TOTP authenticator whose secret is in
        demo.json (made again if the database lost it or demo.json predates it)."""
        info = json.loads(info_path.read_text())
        user = get_user_model().objects.get(username=DEMO_USER)
        device = two_factor.authenticator_of(user)
        if device is None or two_factor.secret_text(device) != info.get("totp_secret"):
            device = two_factor.authenticator_replace(user)
            info["totp_secret"] = two_factor.secret_text(device)
            info["totp_uri"] = device.config_url
            key_file_write(info_path, info)

    def announce(self, info: dict, url: str, demo_dir: Path) -> None:
        fingerprint = suite1.fingerprint_display(bytes.fromhex(info["fingerprint"]))
        lines = [
            "",
            "Demo helpline ready.",
            f"  Visitor chat link:  {url}/c/{info['campaign']}",
            f"  Staff sign-in:      {url}/staff/login/",
            f"                      user {info['username']!r}, password {info['password']!r}",
            "                      then a code from an authenticator app set up with",
            f"                      the secret {info['totp_secret']!r} (or its URI",
            f"                      {info['totp_uri']}),",
            f"                      e.g. this one, valid ~30 s: {totp_now(info['totp_secret'])}",
            "                      (a fresh one: .venv/bin/python manage.py demo_totp)",
            "                      your browser becomes a device waiting for certification;",
            "                      certify it: .venv/bin/python manage.py demo_certify",
            f"  Django admin:       {url}/admin/",
            f"  Health:             {url}/healthz",
            f"  Round trip test:    .venv/bin/python manage.py chat_smoke --url {url}",
            f"  Admin fingerprint:  {fingerprint}",
            f"  Demo keys:          {demo_dir}/ (demo.json, admin.key.json and",
            "                      staff.device.json, the demo device's private keys:",
            "                      docs/operations.md, 'The protocol on a server')",
            "",
        ]
        self.stdout.write("\n".join(lines))
