"""Private keys, and the files that hold them: of the reference client (chat/client/),
and of the key ceremonies run without a browser (chat/keyring.py, ``helpline_keys``).

These files live on the machine of whoever holds the key (the coordinator's admin key,
a staff device's keys); the server never reads them. Written with mode 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chat.crypto import certs, suite1
from chat.crypto.encoding import b64decode
from chat.crypto.errors import BadCiphertext, CryptoError

# The setup page's admin key backup (docs/operations.md, "The admin key backup file").
BACKUP_KIND = "helpline-admin-key-backup"
BACKUP_KDF = "PBKDF2-SHA256"
BACKUP_ITERATIONS_RANGE = (100_000, 10_000_000)


def key_file_write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def key_file_read(path: Path, kind: str) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("kind") != kind:
        raise ValueError(f"{path} is not a {kind} key file")
    return data


def scalar(key: suite1.PrivateKey) -> str:
    return suite1.private_scalar(key).hex()


def from_scalar(text: str) -> suite1.PrivateKey:
    return suite1.private_key_from_scalar(bytes.fromhex(text))


@dataclass
class AdminKeys:
    sig: suite1.PrivateKey

    @property
    def public(self) -> bytes:
        return suite1.public_bytes(self.sig)

    @classmethod
    def generate(cls) -> AdminKeys:
        return cls(sig=suite1.private_key_generate())

    def save(self, path: Path) -> None:
        key_file_write(path, {"kind": "helpline-admin-key", "sig": scalar(self.sig)})

    @classmethod
    def load(cls, path: Path) -> AdminKeys:
        return cls(sig=from_scalar(key_file_read(path, "helpline-admin-key")["sig"]))

    @classmethod
    def load_backup(cls, path: Path, passphrase: str) -> AdminKeys:
        """Open the passphrase-protected backup the browser setup page downloads.

        Raises ValueError for a file that is not such a backup, a wrong passphrase (or an
        altered file: AES-GCM tells neither apart), or a key that does not match the
        public key the file names.
        """
        data = key_file_read(path, BACKUP_KIND)
        kdf = data.get("kdf") or {}
        low, high = BACKUP_ITERATIONS_RANGE
        iterations = kdf.get("iterations")
        if data.get("version") != 1 or kdf.get("name") != BACKUP_KDF:
            raise ValueError(f"{path}: unknown backup version or key derivation")
        if not isinstance(iterations, int) or not low <= iterations <= high:
            raise ValueError(f"{path}: key derivation rounds out of range")
        key = hashlib.pbkdf2_hmac(
            "sha256",
            unicodedata.normalize("NFC", passphrase).encode("utf-8"),
            b64decode(kdf["salt"]),
            iterations,
            dklen=32,
        )
        try:
            scalar_bytes = AESGCM(key).decrypt(b64decode(data["iv"]), b64decode(data["ct"]), None)
        except InvalidTag:
            raise ValueError("wrong passphrase, or the backup file was altered") from None
        try:
            admin = cls(sig=suite1.private_key_from_scalar(scalar_bytes))
        except CryptoError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if admin.public != b64decode(data["public_key"]):
            raise ValueError(f"{path}: the key does not match the file's public key")
        return admin


@dataclass
class DeviceKeys:
    """A device's private keys. ``kem`` is its certificate's KEM key (None once retired,
    so that a destroyed version's wraps stay shut); ``wrap_keys`` the fresh KEM keys it
    published to receive later team key versions on, each retired (deleted) with the
    version wrapped to it."""

    kem: suite1.PrivateKey | None
    sig: suite1.PrivateKey
    device_id: str = ""
    wrap_keys: list[suite1.PrivateKey] = field(default_factory=list)

    @property
    def kem_public(self) -> bytes:
        return suite1.public_bytes(self.kem)

    @property
    def sig_public(self) -> bytes:
        return suite1.public_bytes(self.sig)

    @classmethod
    def generate(cls) -> DeviceKeys:
        return cls(kem=suite1.private_key_generate(), sig=suite1.private_key_generate())

    def kem_keys(self) -> list[suite1.PrivateKey]:
        """Every KEM private key this device still holds."""
        return [key for key in (self.kem, *self.wrap_keys) if key is not None]

    def wrap_key_new(self) -> tuple[bytes, bytes]:
        """Make a fresh KEM key for the next team key version; returns its public key and
        this device's signature of it (protocol.md §4.4), to publish."""
        key = suite1.private_key_generate()
        self.wrap_keys.append(key)
        public = suite1.public_bytes(key)
        signature = certs.wrap_key_sign(
            device_sig_key=self.sig, device_id=self.device_id, kem_pk=public
        )
        return public, signature

    def wrap_keys_retire(self, key_ids: list[str]) -> int:
        """Delete the KEM keys the server says were retired with a destroyed team key
        version (hex key ids); returns how many were deleted."""
        retired = set(key_ids)

        def gone(key: suite1.PrivateKey) -> bool:
            return suite1.key_id(suite1.public_bytes(key)).hex() in retired

        before = len(self.kem_keys())
        self.wrap_keys = [key for key in self.wrap_keys if not gone(key)]
        if self.kem is not None and gone(self.kem):
            self.kem = None
        return before - len(self.kem_keys())

    def team_wrap_open(
        self,
        wrap: bytes,
        announcement: certs.TeamKeyAnnouncement,
        *,
        kem_pk: bytes | None = None,
    ) -> suite1.PrivateKey:
        """Open a team wrap with the KEM key it is sealed to: ``kem_pk``, as the server
        names it (protocol.md §4.4), or, without it, whichever of this device's keys
        opens it."""
        keys = self.kem_keys()
        if kem_pk is not None:
            keys = [key for key in keys if suite1.public_bytes(key) == kem_pk]
            if not keys:
                raise BadCiphertext("this device does not hold the KEM key of this team wrap")
        for key in keys:
            try:
                return certs.team_wrap_open(
                    wrap, device_kem_key=key, device_id=self.device_id, announcement=announcement
                )
            except CryptoError:
                continue
        raise BadCiphertext("no KEM key of this device opens the team wrap")

    def save(self, path: Path) -> None:
        key_file_write(
            path,
            {
                "kind": "helpline-device-key",
                "device_id": self.device_id,
                "kem": scalar(self.kem) if self.kem is not None else None,
                "sig": scalar(self.sig),
                "wrap_keys": [scalar(key) for key in self.wrap_keys],
            },
        )

    @classmethod
    def load(cls, path: Path) -> DeviceKeys:
        data = key_file_read(path, "helpline-device-key")
        return cls(
            kem=from_scalar(data["kem"]) if data.get("kem") else None,
            sig=from_scalar(data["sig"]),
            device_id=data["device_id"],
            wrap_keys=[from_scalar(text) for text in data.get("wrap_keys", [])],
        )
