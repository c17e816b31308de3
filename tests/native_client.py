"""A second implementation of the helpline protocol, written from docs/protocol.md and
docs/protocol-v1.schema.json alone — as a native staff app or an auditor would write it.

It imports nothing from chat/ or ops/: only the standard library, ``cryptography`` (for
P-256, ECDSA, HKDF, AES-GCM and RFC 9180 HPKE) and ``websockets``, plus
tests/frame_schema.py to check every frame it receives against the schema. Section
numbers in comments are the document's. tests/integration/test_native_client_live.py
drives it against two live workers: a staff member signs in with both factors, enrols a
device, the coordinator certifies it and gives it the team key, the device reads and
answers a visitor, the coordinator rotates the team key to a wrap key the device
published, and the device moves the conversation to it and keeps reading.

It is a test client: it keeps keys in memory, trusts one process, and does the least a
correct client must (verify, decrypt, keep orders) — not a model of a full app.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import http.cookiejar
import itertools
import json
import re
import secrets
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.frame_schema import FrameOutsideSchema, frame_check


class ProtocolViolation(Exception):
    """Something the document says a client must refuse."""


class Refused(Exception):
    """The server answered with an error frame, or an HTTP error."""

    def __init__(self, code: str, detail: object = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


# -- §2.1, §2.2: encodings ---------------------------------------------------------------


def u8(n: int) -> bytes:
    return struct.pack(">B", n)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


def lp(data: bytes) -> bytes:
    return u32(len(data)) + data


def text(value: str) -> bytes:
    """``str()``: length-prefixed UTF-8, never a NUL."""
    if "\x00" in value:
        raise ProtocolViolation("a str() value holds NUL")
    return lp(value.encode("utf-8"))


def label(purpose: str) -> bytes:
    return text(f"helpline/v1 {purpose}")


BASE64 = re.compile(r"\A(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(value: str) -> bytes:
    if not isinstance(value, str) or not BASE64.match(value):
        raise ProtocolViolation("not standard padded base64")
    return base64.b64decode(value)


# -- §2.3, §3: suite 1 -------------------------------------------------------------------

SUITE_ID = 1
CURVE = ec.SECP256R1()
HPKE_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def key_new() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(CURVE)


def key_from_scalar(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(scalar, "big"), CURVE)


def scalar_of(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(32, "big")


def public(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_load(pk: bytes) -> ec.EllipticCurvePublicKey:
    if len(pk) != 65 or pk[0] != 4:
        raise ProtocolViolation("a public key is a 65-byte uncompressed point")
    return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, pk)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def key_id(pk: bytes) -> bytes:
    return sha256(label("key-id") + lp(pk))[:16]


def admin_fingerprint(admin_pk: bytes) -> bytes:
    return sha256(label("admin-fingerprint") + lp(admin_pk))


def groups_of_four(data: bytes) -> str:
    digits = data.hex()
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def device_fingerprint(kem_pk: bytes, sig_pk: bytes) -> str:
    """What the coordinator compares with the device's screen (§2.3)."""
    return groups_of_four(key_id(kem_pk + sig_pk))


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(pk: bytes, message: bytes, signature: bytes) -> None:
    if len(signature) != 64:
        raise ProtocolViolation("a signature is 64 bytes r ‖ s")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_load(pk).verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ProtocolViolation("a signature does not verify") from None


def hpke_seal(pk: bytes, info: bytes, plaintext: bytes) -> bytes:
    return HPKE_SUITE.encrypt(plaintext, public_load(pk), info=info)


def hpke_open(key: ec.EllipticCurvePrivateKey, info: bytes, sealed: bytes) -> bytes:
    try:
        return HPKE_SUITE.decrypt(sealed, key, info=info)
    except Exception as exc:  # noqa: BLE001 — the library's own error types vary
        raise ProtocolViolation(f"an HPKE ciphertext does not open: {exc}") from None


def hkdf(ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


# -- §4: certificates, team keys, wrap keys ---------------------------------------------


def cert_tbs(device_id: str, role: str, kem_pk: bytes, sig_pk: bytes, not_after: int) -> bytes:
    return (
        label("device-cert")
        + u8(SUITE_ID)
        + text(device_id)
        + text(role)
        + lp(kem_pk)
        + lp(sig_pk)
        + u64(not_after)
    )


def cert_verify(cert: dict, *, admin_pk: bytes, role: str | None = None) -> None:
    if cert["suite"] != SUITE_ID or (role is not None and cert["role"] != role):
        raise ProtocolViolation("a certificate of another suite or role")
    if cert["not_after"] <= time.time():
        raise ProtocolViolation("an expired certificate")
    tbs = cert_tbs(
        cert["device_id"], cert["role"], b64d(cert["kem_pk"]), b64d(cert["sig_pk"]),
        cert["not_after"],
    )  # fmt: skip
    verify(admin_pk, tbs, b64d(cert["sig"]))


def team_tbs(version: int, team_pk: bytes, not_after: int) -> bytes:
    return label("team-key") + u8(SUITE_ID) + u32(version) + lp(team_pk) + u64(not_after)


def team_announce(admin: ec.EllipticCurvePrivateKey, version: int, team_pk: bytes, days: int):
    not_after = int(time.time()) + days * 86400
    signature = sign(admin, team_tbs(version, team_pk, not_after))
    return {
        "suite": SUITE_ID,
        "version": version,
        "pk": b64e(team_pk),
        "not_after": not_after,
        "sig": b64e(signature),
    }


def team_verify(announcement: dict, *, admin_pk: bytes) -> None:
    tbs = team_tbs(announcement["version"], b64d(announcement["pk"]), announcement["not_after"])
    verify(admin_pk, tbs, b64d(announcement["sig"]))


def team_wrap_info(version: int, team_pk: bytes, device_id: str, device_kem_pk: bytes) -> bytes:
    return (
        label("team-wrap")
        + u8(SUITE_ID)
        + u32(version)
        + lp(key_id(team_pk))
        + text(device_id)
        + lp(key_id(device_kem_pk))
    )


def team_wrap_seal(team_key, version: int, device_id: str, device_kem_pk: bytes) -> bytes:  # noqa: ANN001
    info = team_wrap_info(version, public(team_key), device_id, device_kem_pk)
    return hpke_seal(device_kem_pk, info, scalar_of(team_key))


def team_wrap_open(wrap: dict, announcement: dict, device: Device) -> ec.EllipticCurvePrivateKey:
    """Open ``{kem_pk, ct}`` with the device's KEM key it names (§4.3), and check that
    the scalar is the announced key's."""
    kem_pk = b64d(wrap["kem_pk"])
    kem_key = device.kem_key_for(kem_pk)
    team_pk = b64d(announcement["pk"])
    info = team_wrap_info(announcement["version"], team_pk, device.device_id, kem_pk)
    team_key = key_from_scalar(hpke_open(kem_key, info, b64d(wrap["ct"])))
    if public(team_key) != team_pk:
        raise ProtocolViolation("the team wrap holds another key than the announced one")
    return team_key


def wrap_key_tbs(device_id: str, kem_pk: bytes) -> bytes:
    return label("wrap-key") + u8(SUITE_ID) + text(device_id) + lp(kem_pk)


# -- §5: commits -------------------------------------------------------------------------

ZERO_HASH = bytes(32)


def key_commitment(secret: bytes, conversation_id: str, epoch: int) -> bytes:
    return hkdf(secret, label("key-commitment") + text(conversation_id) + u32(epoch), 32)


def commit_body(commit: dict) -> bytes:
    body = (
        label("commit")
        + u8(commit["suite"])
        + text(commit["conversation_id"])
        + u32(commit["epoch"])
        + lp(b64d(commit["prev_commit_hash"]))
        + text(commit["author"])
        + text(commit["reason"])
        + u32(commit["team_key_version"])
        + lp(b64d(commit["key_commitment"]))
        + u64(commit["created_at"])
        + u32(len(commit["members"]))
    )
    for member in commit["members"]:
        body += (
            text(member["kind"]) + text(member["id"]) + lp(b64d(member["key_id"]))
            + text(member["label"])
        )  # fmt: skip
    return body


def epoch_wrap_info(conversation_id: str, epoch: int, recipient: bytes, digest: bytes) -> bytes:
    return (
        label("epoch-wrap") + u8(SUITE_ID) + text(conversation_id) + u32(epoch)
        + lp(recipient) + lp(digest)
    )  # fmt: skip


def commit_make(
    *,
    conversation_id: str,
    epoch: int,
    prev_hash: bytes,
    author: str,
    author_key: ec.EllipticCurvePrivateKey,
    reason: str,
    team_version: int,
    recipients: list[tuple[str, str, bytes, str]],
) -> tuple[dict, bytes, list[dict], bytes]:
    """A signed commit and its wraps; recipients are (kind, id, kem_pk, label)."""
    secret = secrets.token_bytes(32)
    commit = {
        "suite": SUITE_ID,
        "conversation_id": conversation_id,
        "epoch": epoch,
        "prev_commit_hash": b64e(prev_hash),
        "author": author,
        "reason": reason,
        "team_key_version": team_version,
        "key_commitment": b64e(key_commitment(secret, conversation_id, epoch)),
        "created_at": int(time.time()),
        "members": [
            {"kind": kind, "id": ident, "key_id": b64e(key_id(pk)), "label": member_label}
            for kind, ident, pk, member_label in recipients
        ],
    }
    body = commit_body(commit)
    digest = sha256(body)
    wraps = [
        {
            "key_id": b64e(key_id(pk)),
            "ct": b64e(hpke_seal(pk, epoch_wrap_info(conversation_id, epoch, key_id(pk), digest),
                                 secret)),
        }
        for _, _, pk, _ in recipients
    ]  # fmt: skip
    return commit, sign(author_key, body), wraps, secret


def commit_open(commit: dict, signature: bytes, wrap: dict | None, *, author_pk: bytes,
                prev_hash: bytes | None, open_keys: dict) -> tuple[bytes, bytes]:  # fmt: skip
    """§5.4, the client's checks; returns (epoch secret, commit hash)."""
    if commit["suite"] != SUITE_ID:
        raise ProtocolViolation("a commit of another suite")
    if prev_hash is not None and b64d(commit["prev_commit_hash"]) != prev_hash:
        raise ProtocolViolation("the commit does not chain onto the previous one")
    body = commit_body(commit)
    verify(author_pk, body, signature)
    if wrap is None:
        raise ProtocolViolation("no wrap for this party")
    recipient = b64d(wrap["key_id"])
    key = open_keys.get(recipient)
    if key is None or recipient not in {b64d(m["key_id"]) for m in commit["members"]}:
        raise ProtocolViolation("the wrap is not addressed to a key of ours")
    digest = sha256(body)
    info = epoch_wrap_info(commit["conversation_id"], commit["epoch"], recipient, digest)
    secret = hpke_open(key, info, b64d(wrap["ct"]))
    if key_commitment(secret, commit["conversation_id"], commit["epoch"]) != b64d(
        commit["key_commitment"]
    ):
        raise ProtocolViolation("the epoch secret does not match the key commitment")
    return secret, digest


# -- §6: messages ------------------------------------------------------------------------

BUCKETS = (256, 1024, 4096, 16384, 32768)


def pad(content: bytes) -> bytes:
    size = next(b for b in BUCKETS if b >= 4 + len(content))
    return u32(len(content)) + content + bytes(size - 4 - len(content))


def unpad(padded: bytes) -> bytes:
    if len(padded) not in BUCKETS:
        raise ProtocolViolation("a padded plaintext is a bucket")
    (length,) = struct.unpack(">I", padded[:4])
    if length > len(padded) - 4 or any(padded[4 + length :]):
        raise ProtocolViolation("bad padding")
    return padded[4 : 4 + length]


def message_keys(secret: bytes, conversation_id: str, epoch: int, sender: str, stream: bytes):
    info = label("message-key") + text(conversation_id) + u32(epoch) + text(sender) + lp(stream)
    okm = hkdf(secret, info, 44)
    return okm[:32], okm[32:]


def message_nonce(nonce_base: bytes, seq: int) -> bytes:
    counter = u32(0) + u64(seq)
    return bytes(a ^ b for a, b in zip(nonce_base, counter, strict=True))


def message_aad(conversation_id, epoch, digest, sender, stream, seq, content_type) -> bytes:  # noqa: ANN001
    return (
        label("message") + u8(SUITE_ID) + text(conversation_id) + u32(epoch) + lp(digest)
        + text(sender) + lp(stream) + u64(seq) + text(content_type)
    )  # fmt: skip


def signature_input(aad: bytes, ct: bytes) -> bytes:
    return label("message-signature") + lp(aad) + lp(ct)


# -- §11.2: TOTP, as an authenticator app makes it ----------------------------------------


def totp(secret_b32: str, step: int) -> str:
    raw = "".join(secret_b32.split()).upper()
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


# -- §11: the HTTP API -------------------------------------------------------------------


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


class Http:
    """One staff session: cookies, CSRF token, Origin (§11.1)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""
        self.user: dict | None = None

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict, dict]:
        headers = {"Origin": origin_of(self.base_url), "Accept": "application/json"}
        data = None
        if method != "GET":
            headers["X-CSRFToken"] = self.csrf
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 — the helpline under test
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)

    def ok(self, method: str, path: str, body: object = None) -> dict:
        status, answer, _ = self.call(method, path, body)
        if status >= 400:
            raise Refused(answer.get("error", str(status)), answer.get("detail", ""))
        return answer

    def sign_in(self, username: str, password: str, totp_secret: str) -> dict:
        """§11.2: the password and a code in one request; a code whose time step was
        used already (`code_used`) is replaced by the next step's, which the server's
        tolerance of one step takes."""
        self.csrf = self.ok("GET", "/staff/api/session")["csrf_token"]
        step = int(time.time()) // 30
        for _attempt in range(4):
            body = {"username": username, "password": password, "code": totp(totp_secret, step)}
            status, answer, headers = self.call("POST", "/staff/api/session", body)
            if status == 200:
                self.csrf, self.user = answer["csrf_token"], answer["user"]
                return answer
            if answer.get("error") not in ("code_used", "code_throttled"):
                raise Refused(answer.get("error", str(status)), answer)
            if answer["error"] == "code_used":
                step += 1
            time.sleep(float(headers.get("Retry-After", "1")) if answer["error"] ==
                       "code_throttled" else 1.1)  # fmt: skip
        raise Refused("sign_in_failed", "no fresh code accepted")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


# -- a device and its keys (§4.2, §4.4) -------------------------------------------------


@dataclass
class Device:
    kem: ec.EllipticCurvePrivateKey | None
    sig: ec.EllipticCurvePrivateKey
    device_id: str = ""
    wrap_keys: list[ec.EllipticCurvePrivateKey] = field(default_factory=list)

    @classmethod
    def new(cls) -> Device:
        return cls(kem=key_new(), sig=key_new())

    @classmethod
    def from_scalars(cls, *, device_id: str, kem: str, sig: str, wrap_keys=()) -> Device:  # noqa: ANN001
        """Private keys given as hex scalars (the demo's key files: docs/operations.md)."""
        return cls(
            kem=key_from_scalar(bytes.fromhex(kem)),
            sig=key_from_scalar(bytes.fromhex(sig)),
            device_id=device_id,
            wrap_keys=[key_from_scalar(bytes.fromhex(k)) for k in wrap_keys],
        )

    def kem_key_for(self, kem_pk: bytes) -> ec.EllipticCurvePrivateKey:
        for key in (self.kem, *self.wrap_keys):
            if key is not None and public(key) == kem_pk:
                return key
        raise ProtocolViolation("this device does not hold the KEM key of this team wrap")

    def register(self, staff: Http, label_text: str) -> dict:
        """§11.3: publish the public keys; the device waits for certification."""
        view = staff.ok(
            "POST",
            "/staff/api/devices",
            {"kem_pk": b64e(public(self.kem)), "sig_pk": b64e(public(self.sig)),
             "role": "staff", "label": label_text},
        )  # fmt: skip
        self.device_id = view["device_id"]
        return view

    def fingerprint(self) -> str:
        return device_fingerprint(public(self.kem), public(self.sig))

    def wrap_key_publish(self, staff: Http) -> dict:
        """§4.4: a fresh KEM key for the next team key version, signed."""
        key = key_new()
        self.wrap_keys.append(key)
        signature = sign(self.sig, wrap_key_tbs(self.device_id, public(key)))
        return staff.ok(
            "POST",
            f"/staff/api/devices/{self.device_id}/wrap-key",
            {"kem_pk": b64e(public(key)), "signature": b64e(signature)},
        )


# -- the coordinator's side (§11.4) -----------------------------------------------------


@dataclass
class Coordinator:
    http: Http
    admin: ec.EllipticCurvePrivateKey
    own_device: Device

    def setup_device(self, device_id: str) -> dict:
        devices = self.http.ok("GET", "/staff/api/setup")["devices"]
        return next(d for d in devices if d["device_id"] == device_id)

    def certify(self, device_id: str, *, fingerprint_on_its_screen: str, days: int = 365) -> dict:
        entry = self.setup_device(device_id)
        kem_pk, sig_pk = b64d(entry["kem_pk"]), b64d(entry["sig_pk"])
        if device_fingerprint(kem_pk, sig_pk) != fingerprint_on_its_screen:
            raise ProtocolViolation("the fingerprints differ: not this device")
        not_after = int(time.time()) + days * 86400
        signature = sign(self.admin, cert_tbs(device_id, entry["role"], kem_pk, sig_pk, not_after))
        return self.http.ok(
            "POST",
            f"/staff/api/devices/{device_id}/certify",
            {"not_after": not_after, "signature": b64e(signature)},
        )

    def verified_target(self, device_id: str) -> bytes | None:
        """Where a new version may be wrapped for this device (§11.4): its published wrap
        key if its certified signing key signed it, else its certificate's KEM key if it
        carries no version yet, else nowhere."""
        entry = self.setup_device(device_id)
        cert = entry["cert"]
        cert_verify(cert, admin_pk=public(self.admin), role="staff")
        waiting = entry["next_wrap_key"]
        if waiting is not None:
            kem_pk = b64d(waiting["kem_pk"])
            verify(
                b64d(cert["sig_pk"]), wrap_key_tbs(device_id, kem_pk), b64d(waiting["signature"])
            )
            return kem_pk
        return None if entry["cert_kem_used"] else b64d(cert["kem_pk"])

    def team_key_give(self, device_id: str) -> int:
        """Re-wrap the current version from the coordinator's own device (§11.4)."""
        view = self.http.ok("GET", f"/staff/api/devices/{self.own_device.device_id}")
        entry = view["team_keys"][-1]
        announcement = entry["announcement"]
        team_verify(announcement, admin_pk=public(self.admin))
        team_key = team_wrap_open(entry["wrap"], announcement, self.own_device)
        target = self.verified_target(device_id)
        version = announcement["version"]
        ct = team_wrap_seal(team_key, version, device_id, target)
        self.http.ok(
            "POST",
            f"/staff/api/team-keys/{version}/wraps",
            {"device_id": device_id, "ct": b64e(ct), "kem_pk": b64e(target)},
        )
        return version

    def team_key_rotate(self, device_ids: list[str], days: int = 90) -> int:
        """A new version, wrapped to each device's verified target (§4.4, §11.4)."""
        version = self.http.ok("GET", "/staff/api/setup")["next_team_key_version"]
        team_key = key_new()
        announcement = team_announce(self.admin, version, public(team_key), days)
        wraps, wrap_keys = {}, {}
        for device_id in device_ids:
            target = self.verified_target(device_id)
            if target is None:
                continue
            wraps[device_id] = b64e(team_wrap_seal(team_key, version, device_id, target))
            wrap_keys[device_id] = b64e(target)
        self.http.ok(
            "POST",
            "/staff/api/team-keys",
            {"announcement": announcement, "wraps": wraps, "wrap_keys": wrap_keys},
        )
        return version


# -- §8: one websocket ------------------------------------------------------------------

_refs = itertools.count(1)


class Socket:
    """Frames in and out; answers matched by ref (§8.2); every frame received is checked
    against the schema, and a frame outside it is kept in ``outside_schema``."""

    def __init__(self, websocket: ClientConnection, hello: dict) -> None:
        self.websocket = websocket
        self.hello = hello
        self.items: asyncio.Queue = asyncio.Queue()
        self.waiting: dict[str, asyncio.Future] = {}
        self.outside_schema: list[str] = []
        self.close_code: int | None = None
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str, endpoint: str, cookie: str | None = None) -> Socket:
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        websocket = await connect(
            f"{scheme}://{parts.netloc}/ws/{endpoint}",
            origin=origin_of(base_url),  # the helpline's own origin (§8.1)
            additional_headers={"Cookie": cookie} if cookie else None,
            compression=None,
            max_size=2**17,
        )
        hello = json.loads(await websocket.recv())
        frame_check(json.dumps(hello))
        if hello["type"] != "hello" or SUITE_ID not in hello["suites"]:
            raise ProtocolViolation("no hello, or no suite 1")
        return cls(websocket, hello)

    async def _read(self) -> None:
        try:
            await self._route_all()
        finally:
            self.close_code = self.websocket.close_code
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))
            self.items.put_nowait(None)

    async def _route_all(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.websocket:
                try:
                    frame = frame_check(raw)
                except FrameOutsideSchema as exc:
                    self.outside_schema.append(f"{exc}: {raw[:200]}")
                    frame = json.loads(raw)
                future = self.waiting.pop(frame.get("ref"), None) if frame.get("ref") else None
                # A backlog's frames follow its answer: state and sync.done go to the
                # items too, so that they are applied in order with the rest.
                if future is None or frame["type"] in ("conversation.state", "sync.done"):
                    self.items.put_nowait(frame)
                if future is not None and not future.done():
                    if frame["type"] == "error":
                        future.set_exception(Refused(frame["code"], frame["message"]))
                    else:
                        future.set_result(frame)

    async def request(self, frame: dict, timeout: float = 30) -> dict:
        ref = f"n{next(_refs)}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[ref] = future
        await self.websocket.send(json.dumps({**frame, "ref": ref}))
        return await asyncio.wait_for(future, timeout)

    async def send(self, frame: dict) -> None:
        await self.websocket.send(json.dumps(frame))

    async def close(self) -> None:
        await self.websocket.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


# -- a staff app (§5–§8) ----------------------------------------------------------------


@dataclass
class Message:
    conversation_id: str
    order: int
    epoch: int
    sender: str
    content_type: str
    text: str


@dataclass
class Followed:
    conversation_id: str
    visitor_sig_pk: bytes = b""
    visitor_kem_pk: bytes = b""
    epochs: dict[int, tuple[dict, bytes, bytes]] = field(
        default_factory=dict
    )  # commit, hash, secret
    last_order: int = 0
    pending: dict[int, dict] = field(default_factory=dict)
    own: set[int] = field(default_factory=set)
    stream: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    seqs: dict[int, int] = field(default_factory=dict)

    @property
    def current_epoch(self) -> int:
        return max(self.epochs, default=-1)


class StaffApp:
    """A staff device's session on /ws/staff."""

    def __init__(self, http: Http, device: Device, *, pin: bytes) -> None:
        self.http = http
        self.device = device
        self.pin = pin
        self.socket: Socket | None = None
        self.admin_pk = b""
        self.team: dict[int, tuple[dict, ec.EllipticCurvePrivateKey]] = {}
        self.certs: dict[str, dict] = {}
        self.followed: dict[str, Followed] = {}
        self.messages: list[Message] = []
        self.outside_schema: list[str] = []

    async def connect(self, base_url: str) -> dict:
        """Open the socket, prove the device (§8.4), check everything device.ready says."""
        if self.socket is not None:
            self.outside_schema += self.socket.outside_schema
            await self.socket.close()
        self.socket = await Socket.open(base_url, "staff", self.http.cookie_header())
        nonce = b64d(self.socket.hello["nonce"])
        message = label("device-auth") + lp(nonce) + text(self.device.device_id)
        ready = await self.socket.request(
            {"type": "device.auth", "device_id": self.device.device_id,
             "signature": b64e(sign(self.device.sig, message))}
        )  # fmt: skip
        admin_pk = b64d(ready["admin_pk"])
        if admin_fingerprint(admin_pk) != self.pin:
            raise ProtocolViolation("the admin key is not the pinned one")
        self.admin_pk = admin_pk
        cert = ready["cert"]
        cert_verify(cert, admin_pk=admin_pk, role="staff")
        if (b64d(cert["sig_pk"]), cert["device_id"]) != (public(self.device.sig),
                                                         self.device.device_id):  # fmt: skip
            raise ProtocolViolation("the certificate is not this device's")
        self.certs[cert["device_id"]] = cert
        for entry in ready["team_keys"]:
            announcement = entry["announcement"]
            team_verify(announcement, admin_pk=admin_pk)
            if entry["wrap"] is not None:
                key = team_wrap_open(entry["wrap"], announcement, self.device)
                self.team[announcement["version"]] = (announcement, key)
        for followed in self.followed.values():  # after a reconnection: catch up
            await self.subscribe(followed.conversation_id)
        return ready

    def open_keys(self) -> dict[bytes, ec.EllipticCurvePrivateKey]:
        return {key_id(b64d(ann["pk"])): key for ann, key in self.team.values()}

    async def list_conversations(self) -> list[dict]:
        return (await self.socket.request({"type": "conversation.list"}))["conversations"]

    async def subscribe(self, conversation_id: str) -> dict:
        followed = self.followed.setdefault(conversation_id, Followed(conversation_id))
        state = await self.socket.request(
            {"type": "conversation.subscribe", "conversation_id": conversation_id,
             "after": followed.last_order}
        )  # fmt: skip
        followed.visitor_sig_pk = b64d(state["visitor_sig_pk"])
        followed.visitor_kem_pk = b64d(state["visitor_kem_pk"])
        return state

    async def until(self, done: Callable[[], bool], timeout: float = 30) -> None:
        """Apply what arrives, in order, until ``done()``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError("the awaited state did not come")
            try:
                item = await asyncio.wait_for(self.socket.items.get(), left)
            except TimeoutError:
                continue
            if item is None:
                raise ConnectionError(f"the socket closed ({self.socket.close_code})")
            await self.apply(item)

    async def apply(self, item: dict) -> None:
        if item["type"] not in ("commit", "envelope"):
            return  # activity, staff events, receipts, state, sync.done: not needed here
        followed = self.followed.get(item["conversation_id"])
        if followed is None or item["order"] <= followed.last_order:
            return
        followed.pending[item["order"]] = item
        await self.advance(followed)

    async def advance(self, followed: Followed) -> None:
        while True:
            following = followed.last_order + 1
            if following in followed.own:
                followed.own.discard(following)
            elif following in followed.pending:
                await self.apply_item(followed, followed.pending.pop(following))
            else:
                return
            followed.last_order = following

    async def author_key(self, followed: Followed, author: str) -> bytes:
        if author == "visitor":
            return followed.visitor_sig_pk
        if author not in self.certs:
            answer = await self.socket.request({"type": "certs.get", "device_ids": [author]})
            for cert in answer["certs"]:
                cert_verify(cert, admin_pk=self.admin_pk)
                self.certs[cert["device_id"]] = cert
        return b64d(self.certs[author]["sig_pk"])

    async def apply_item(self, followed: Followed, item: dict) -> None:
        if item["type"] == "commit":
            commit = item["commit"]
            epoch = commit["epoch"]
            if epoch in followed.epochs:
                return  # our own commit, echoed (§8.6)
            previous = followed.epochs.get(epoch - 1)
            secret, digest = commit_open(
                commit, b64d(item["signature"]), item["wrap"],
                author_pk=await self.author_key(followed, commit["author"]),
                prev_hash=previous[1] if previous else (ZERO_HASH if epoch == 0 else None),
                open_keys=self.open_keys(),
            )  # fmt: skip
            followed.epochs[epoch] = (commit, digest, secret)
            return
        envelope = item["envelope"]
        epoch = envelope["epoch"]
        commit, digest, secret = followed.epochs[epoch]
        stream, seq, ct = b64d(envelope["stream"]), envelope["seq"], b64d(envelope["ct"])
        aad = message_aad(
            followed.conversation_id, epoch, digest, envelope["sender"], stream, seq,
            envelope["content_type"],
        )  # fmt: skip
        verify(await self.author_key(followed, envelope["sender"]), signature_input(aad, ct),
               b64d(envelope["sig"]))  # fmt: skip
        key, nonce_base = message_keys(
            secret, followed.conversation_id, epoch, envelope["sender"], stream
        )
        try:
            padded = AESGCM(key).decrypt(message_nonce(nonce_base, seq), ct, aad)
        except InvalidTag:
            raise ProtocolViolation("a message does not decrypt") from None
        self.messages.append(
            Message(followed.conversation_id, item["order"], epoch, envelope["sender"],
                    envelope["content_type"], unpad(padded).decode("utf-8"))
        )  # fmt: skip

    async def send_text(self, conversation_id: str, body: str) -> int:
        followed = self.followed[conversation_id]
        epoch = followed.current_epoch
        _, digest, secret = followed.epochs[epoch]
        seq = followed.seqs.get(epoch, 0)
        followed.seqs[epoch] = seq + 1
        sender, stream = self.device.device_id, followed.stream
        key, nonce_base = message_keys(secret, conversation_id, epoch, sender, stream)
        aad = message_aad(conversation_id, epoch, digest, sender, stream, seq, "text")
        ct = AESGCM(key).encrypt(message_nonce(nonce_base, seq), pad(body.encode()), aad)
        envelope = {
            "conversation_id": conversation_id, "epoch": epoch, "sender": sender,
            "stream": b64e(stream), "seq": seq, "content_type": "text", "ct": b64e(ct),
            "sig": b64e(sign(self.device.sig, signature_input(aad, ct))),
        }  # fmt: skip
        ack = await self.socket.request({"type": "envelope.send", "envelope": envelope})
        followed.own.add(ack["order"])  # not sent back to this socket (§8.6)
        await self.advance(followed)
        return ack["order"]

    async def rekey(self, conversation_id: str) -> int:
        """§5.5: move the conversation to the newest team key version this device holds."""
        followed = self.followed[conversation_id]
        epoch = followed.current_epoch
        current, digest, _ = followed.epochs[epoch]
        version = max(self.team)
        if current["team_key_version"] >= version:
            raise ProtocolViolation("nothing to move to")
        announcement, _ = self.team[version]
        interpreters = [
            ("device", m["id"], b64d(self.certs[m["id"]]["kem_pk"]), m["label"])
            for m in current["members"] if m["kind"] == "device"
        ]  # fmt: skip
        commit, signature, wraps, secret = commit_make(
            conversation_id=conversation_id, epoch=epoch + 1, prev_hash=digest,
            author=self.device.device_id, author_key=self.device.sig, reason="rekey",
            team_version=version,
            recipients=[("team", str(version), b64d(announcement["pk"]), ""),
                        ("visitor", "visitor", followed.visitor_kem_pk, ""), *interpreters],
        )  # fmt: skip
        ack = await self.socket.request(
            {"type": "commit.submit", "conversation_id": conversation_id, "commit": commit,
             "signature": b64e(signature), "wraps": wraps}
        )  # fmt: skip
        followed.epochs[epoch + 1] = (commit, sha256(commit_body(commit)), secret)
        return ack["order"]

    async def close(self) -> None:
        if self.socket is not None:
            self.outside_schema += self.socket.outside_schema
            await self.socket.close()
