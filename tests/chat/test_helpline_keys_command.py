"""`helpline_keys` takes the admin key backup the browser setup page downloads, with its
passphrase, wherever it takes an admin key file (docs/install.md, "Keys")."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from chat import keyring
from chat.crypto.keys import AdminKeys
from chat.models import Device
from chat.services.devices import admin_key_set

pytestmark = pytest.mark.django_db

BROWSER_BACKUP = Path(__file__).resolve().parents[1] / "ops" / "fixtures" / "admin-key-backup.json"
PASSPHRASE = "lilas brouillard quai ardoise"


@pytest.fixture
def device_waiting(monkeypatch: pytest.MonkeyPatch) -> str:
    """A helpline whose admin key is the backup's, and a staff device to certify."""
    now = timezone.now()
    admin_key_set(public_key=AdminKeys.load_backup(BROWSER_BACKUP, PASSPHRASE).public, now=now)
    get_user_model().objects.create_user("nurse", password="unused-password-123")
    keys = keyring.device_create(username="nurse", role="staff", label_text="", now=now)
    return keys.device_id


def certify(device_id: str, passphrase: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(passphrase + "\n"))
    out = io.StringIO()
    call_command(
        "helpline_keys",
        "certify-device",
        "--admin-key",
        str(BROWSER_BACKUP),
        "--passphrase-stdin",
        "--device",
        device_id,
        stdout=out,
    )
    return out.getvalue()


def test_certify_device_takes_the_browsers_backup_and_its_passphrase(device_waiting, monkeypatch):
    said = certify(device_waiting, PASSPHRASE, monkeypatch)
    assert f"device {device_waiting} certified" in said
    assert Device.objects.get(pk=device_waiting).cert_not_after is not None


def test_a_wrong_passphrase_certifies_nothing(device_waiting, monkeypatch):
    with pytest.raises(CommandError, match="wrong passphrase"):
        certify(device_waiting, PASSPHRASE + "!", monkeypatch)
    assert Device.objects.get(pk=device_waiting).cert_not_after is None


def test_the_passphrase_is_asked_for_when_not_on_standard_input(device_waiting, monkeypatch):
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSPHRASE)
    call_command(
        "helpline_keys",
        "certify-device",
        "--admin-key",
        str(BROWSER_BACKUP),
        "--device",
        device_waiting,
        stdout=io.StringIO(),
    )
    assert asked == ["Passphrase of admin-key-backup.json: "]
    assert Device.objects.get(pk=device_waiting).cert_not_after is not None
