"""The admin key backup file the setup page downloads (docs/operations.md) opens with
the Python reference client, and refuses a wrong passphrase or an altered file.

fixtures/admin-key-backup.json was made by Chromium on the setup page (the browser test
tests/browser/test_staff_pages.py makes and checks a fresh one on every run). Its key
is a throwaway test key, never a helpline's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chat.crypto import suite1
from chat.crypto.encoding import b64decode, b64encode
from chat.crypto.keys import AdminKeys

BROWSER_BACKUP = Path(__file__).resolve().parent / "fixtures" / "admin-key-backup.json"
PASSPHRASE = "lilas brouillard quai ardoise"


def altered(tmp_path: Path, **changes) -> Path:
    data = json.loads(BROWSER_BACKUP.read_text())
    for name, value in changes.items():
        if name == "iterations":
            data["kdf"]["iterations"] = value
        else:
            data[name] = value
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(data))
    return path


def test_a_backup_made_by_the_browser_opens_in_python():
    admin = AdminKeys.load_backup(BROWSER_BACKUP, PASSPHRASE)
    data = json.loads(BROWSER_BACKUP.read_text())
    assert admin.public == b64decode(data["public_key"])
    signature = suite1.sign(admin.sig, b"helpline")
    suite1.verify(admin.public, b"helpline", signature)


def test_a_wrong_passphrase_is_refused():
    with pytest.raises(ValueError, match="passphrase"):
        AdminKeys.load_backup(BROWSER_BACKUP, PASSPHRASE + " ")


def test_a_backup_naming_another_public_key_is_refused(tmp_path):
    other = b64encode(AdminKeys.generate().public)
    with pytest.raises(ValueError, match="does not match"):
        AdminKeys.load_backup(altered(tmp_path, public_key=other), PASSPHRASE)


def test_an_altered_ciphertext_is_refused(tmp_path):
    ct = bytearray(b64decode(json.loads(BROWSER_BACKUP.read_text())["ct"]))
    ct[0] ^= 1
    with pytest.raises(ValueError):
        AdminKeys.load_backup(altered(tmp_path, ct=b64encode(bytes(ct))), PASSPHRASE)


@pytest.mark.parametrize("iterations", [1000, 10**9, "600000"])
def test_key_derivation_rounds_out_of_range_are_refused(tmp_path, iterations):
    with pytest.raises(ValueError, match="rounds"):
        AdminKeys.load_backup(altered(tmp_path, iterations=iterations), PASSPHRASE)


def test_another_kind_of_key_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a helpline-admin-key-backup"):
        AdminKeys.load_backup(altered(tmp_path, kind="helpline-admin-key"), PASSPHRASE)
