"""Set up a helpline's keys without a browser (docs/protocol.md §4).

    manage.py helpline_keys create-admin --out admin.key.json
    manage.py helpline_keys create-device --user nurse --role staff --out nurse.device.json
    manage.py helpline_keys certify-device --admin-key admin.key.json --device <id>
    manage.py helpline_keys create-team-key --admin-key admin.key.json
    manage.py helpline_keys wrap-team-key --with-device-key nurse.device.json --device <id>
    manage.py helpline_keys publish-wrap-key --device-key nurse.device.json
    manage.py helpline_keys shred
    manage.py helpline_keys fingerprint

Rotation: each staff device publishes a fresh wrap key (``publish-wrap-key``;
browsers do it on their own), then ``create-team-key`` makes the next version, wrapped
to those keys. ``shred`` destroys now the old versions no conversation uses any more
(the worker does it every five minutes).

Private keys live in the files given; the database gets only public keys, signatures
and wraps. Keep the admin key file offline: it certifies every device.

``--admin-key`` takes either file: the one ``create-admin`` writes, or the
passphrase-protected backup the browser setup page downloads (helpline-admin-key.json);
for the backup the passphrase is asked for, or read from the first line of standard
input with ``--passphrase-stdin``.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chat import keyring, selectors
from chat.crypto import suite1
from chat.crypto.keys import BACKUP_KIND, AdminKeys, DeviceKeys
from chat.errors import ChatError
from chat.models import Device
from chat.services.shredding import team_keys_shred


class Command(BaseCommand):
    help = "Create the admin and team keys, register and certify devices, wrap team keys."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        admin = sub.add_parser("create-admin", help="make the admin signing key")
        admin.add_argument("--out", type=Path, required=True)
        device = sub.add_parser("create-device", help="make a device's keys and register it")
        device.add_argument("--user", required=True)
        device.add_argument("--role", choices=["staff", "interpreter"], default="staff")
        device.add_argument("--label", default="")
        device.add_argument("--out", type=Path, required=True)
        certify = sub.add_parser("certify-device", help="sign a device's certificate")
        certify.add_argument("--admin-key", type=Path, required=True)
        certify.add_argument("--device", required=True)
        certify.add_argument("--days", type=int, default=365)
        team = sub.add_parser("create-team-key", help="new team key, wrapped to staff devices")
        team.add_argument("--admin-key", type=Path, required=True)
        team.add_argument("--days", type=int, default=90)
        for takes_admin_key in (certify, team):
            takes_admin_key.add_argument(
                "--passphrase-stdin",
                action="store_true",
                help="the admin key backup's passphrase is the first line of standard input",
            )
        wrap = sub.add_parser("wrap-team-key", help="give a device the team keys")
        wrap.add_argument("--with-device-key", type=Path, required=True)
        wrap.add_argument("--device", required=True)
        publish = sub.add_parser("publish-wrap-key", help="a device's key for the next version")
        publish.add_argument("--device-key", type=Path, required=True)
        sub.add_parser("shred", help="destroy old team key versions nothing uses")
        sub.add_parser("fingerprint", help="print the admin key fingerprint")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, "do_" + action.replace("-", "_"))(timezone.now(), **options)
        except (ChatError, OSError, ValueError) as exc:
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc

    def do_create_admin(self, now, *, out: Path, **_) -> None:
        if out.exists():
            raise CommandError(f"{out} exists; refusing to overwrite a private key")
        admin = keyring.admin_create(now=now)
        admin.save(out)
        self.stdout.write(f"admin key written to {out} (keep it offline)")
        self.stdout.write(
            "fingerprint: " + suite1.fingerprint_display(suite1.admin_fingerprint(admin.public))
        )

    def do_create_device(self, now, *, user: str, role: str, label: str, out: Path, **_) -> None:
        keys = keyring.device_create(username=user, role=role, label_text=label, now=now)
        keys.save(out)
        self.stdout.write(f"device {keys.device_id} registered, keys written to {out}")

    def admin_keys_read(self, path: Path, *, passphrase_stdin: bool) -> AdminKeys:
        """The admin key from ``create-admin``'s file or from the browser's backup."""
        if json.loads(path.read_text()).get("kind") != BACKUP_KIND:
            return AdminKeys.load(path)
        if passphrase_stdin:
            passphrase = sys.stdin.readline().rstrip("\r\n")
        else:
            passphrase = getpass.getpass(f"Passphrase of {path.name}: ")
        return AdminKeys.load_backup(path, passphrase)

    def do_certify_device(
        self, now, *, admin_key: Path, device: str, days: int, passphrase_stdin: bool, **_
    ) -> None:
        admin = self.admin_keys_read(admin_key, passphrase_stdin=passphrase_stdin)
        certified = keyring.device_certify_with(admin=admin, device_id=device, days=days, now=now)
        self.stdout.write(
            f"device {certified.pk} certified until {certified.cert_not_after:%Y-%m-%d}"
        )

    def do_create_team_key(
        self, now, *, admin_key: Path, days: int, passphrase_stdin: bool, **_
    ) -> None:
        admin = self.admin_keys_read(admin_key, passphrase_stdin=passphrase_stdin)
        team_key = keyring.team_key_create(admin=admin, days=days, now=now)
        holders = team_key.wraps.count()
        self.stdout.write(
            f"team key v{team_key.version} created, wrapped to {holders} staff device(s)"
        )
        # Who it could not reach, and why: a device whose certificate's KEM key already
        # carries a version gets a new one only through a wrap key it published.
        left_out = (
            Device.objects.filter(role=Device.Role.STAFF, state=Device.State.CERTIFIED)
            .exclude(team_key_wraps__team_key=team_key)
            .select_related("user")
        )
        for device in left_out:
            self.stdout.write(
                f"not wrapped to device {device.pk} ({device.user.get_username()} · "
                f"{device.label or '—'}): it has published no wrap key since its last was "
                "used. A browser publishes one at its next start; a command-line device: "
                "publish-wrap-key --device-key <its file>. Then give it this version from "
                "a browser that holds it (/staff/setup/), or create the next version."
            )

    def do_wrap_team_key(self, now, *, with_device_key: Path, device: str, **_) -> None:
        count = keyring.team_keys_rewrap(
            holder=DeviceKeys.load(with_device_key), device_id=device, now=now
        )
        self.stdout.write(f"{count} team key(s) wrapped to device {device}")

    def do_publish_wrap_key(self, now, *, device_key: Path, **_) -> None:
        keys = DeviceKeys.load(device_key)
        keyring.wrap_key_publish(keys=keys, now=now)
        keys.save(device_key)
        self.stdout.write(f"wrap key of device {keys.device_id} published, kept in {device_key}")

    def do_shred(self, now, **_) -> None:
        destroyed = team_keys_shred(now=now)
        names = ", ".join(f"v{version}" for version in destroyed) or "none"
        self.stdout.write(f"team key versions destroyed: {names}")

    def do_fingerprint(self, now, **_) -> None:
        admin_key = selectors.admin_key_current()
        if admin_key is None:
            raise CommandError("no admin key yet")
        self.stdout.write(suite1.fingerprint_display(bytes(admin_key.fingerprint)))
