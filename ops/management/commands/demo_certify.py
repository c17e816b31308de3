"""Certify the demo user's browser devices and give them the team key (demo only).

    manage.py demo_certify

After signing in to /staff/ as the demo user, the browser is a device waiting for
certification. In a real helpline the coordinator certifies it on /staff/setup/ and the
team key reaches it from a colleague's browser; in the demo the only holder of the team
key is the command-line device in var/demo/, so this command does both with the demo's
key files (the admin key and that device's keys).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chat import keyring
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.models import Device
from ops.management.commands.demo_seed import DEMO_USER


class Command(BaseCommand):
    help = "Certify the demo user's pending devices and wrap the team key to them."

    def handle(self, *args, **options) -> None:
        demo_dir = Path(settings.CHAT_DEMO_DIR)
        admin_path, holder_path = demo_dir / "admin.key.json", demo_dir / "staff.device.json"
        if not (admin_path.exists() and holder_path.exists()):
            raise CommandError("no demo helpline here: run `make run` first")
        admin, holder = AdminKeys.load(admin_path), DeviceKeys.load(holder_path)
        now = timezone.now()
        pending = Device.objects.filter(user__username=DEMO_USER, state=Device.State.PENDING)
        for device in pending:
            keyring.device_certify_with(admin=admin, device_id=str(device.pk), days=365, now=now)
            wrapped = keyring.team_keys_rewrap(holder=holder, device_id=str(device.pk), now=now)
            self.stdout.write(f"device {device.pk} certified, {wrapped} team key(s) wrapped to it")
        if not pending:
            self.stdout.write("no demo device is waiting: sign in to /staff/ first")
