"""A push service on loopback for the tests (issue 24): the receiving side of RFC 8030.

It does what Google's, Mozilla's and Apple's do with a push before delivering it, and
what a browser does on receipt, with libraries only:

- checks the VAPID ``Authorization: vapid t=<JWT>,k=<key>`` (RFC 8292): an ES256 JWT
  signed by ``k``, whose ``aud`` is the endpoint's origin, ``exp`` in the future and at
  most 24 hours ahead, ``sub`` a mailto: or https: URL;
- checks ``TTL`` (RFC 8030 §5.2: a non-negative integer), ``Urgency`` (§5.3),
  ``Content-Encoding: aes128gcm`` and an optional ``Topic`` (§5.4: ≤ 32 base64url
  characters);
- decrypts the body (RFC 8291 over RFC 8188) with the subscription's private key and
  auth secret, through ``http_ece``.

Each subscription is made here like a browser makes one (a P-256 key pair and a 16-byte
auth secret). ``gone`` endpoints answer 410, ``failing`` ones 500. Every push received,
accepted or not, is in ``received``; what fails a check is answered 400 and recorded
with its reason.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What ``PushManager.subscribe()`` gives a page, with the private half it keeps."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def to_json(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(self.p256dh), "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    endpoint: str
    status: int
    headers: dict
    body_length: int
    claims: dict | None = None
    plaintext: bytes | None = None
    problem: str = ""

    @property
    def payload(self) -> dict:
        return json.loads(self.plaintext)


@dataclass
class PushService:
    origin: str
    subscriptions: dict[str, BrowserSubscription] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    vapid_public_key: str | None = None  # when set, k must be this key

    def subscribe(self) -> BrowserSubscription:
        endpoint = f"{self.origin}/push/{b64url(os.urandom(16))}"
        subscription = BrowserSubscription(
            endpoint=endpoint,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        self.subscriptions[endpoint] = subscription
        return subscription

    def accepted(self, endpoint: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if r.status == 201 and (endpoint is None or r.endpoint == endpoint)
        ]

    def receive(self, path: str, headers: dict, body: bytes) -> Received:
        endpoint = self.origin + path
        record = Received(endpoint=endpoint, status=400, headers=headers, body_length=len(body))
        self.received.append(record)
        subscription = self.subscriptions.get(endpoint)
        if subscription is None or endpoint in self.gone:
            record.status = 410 if endpoint in self.gone else 404
            return record
        try:
            record.claims = vapid_check(
                headers, endpoint=endpoint, expected_key=self.vapid_public_key
            )
            ttl = headers.get("ttl", "")
            if not ttl.isdigit():
                raise ValueError("TTL missing or not a non-negative integer")
            if headers.get("urgency", "normal") not in URGENCIES:
                raise ValueError("Urgency not one of RFC 8030's")
            if "topic" in headers and not TOPIC.match(headers["topic"]):
                raise ValueError("Topic not ≤ 32 base64url characters")
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError("Content-Encoding is not aes128gcm")
            record.plaintext = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth,
                version="aes128gcm",
            )
        except Exception as error:  # noqa: BLE001 — every failure is a 400 with its reason
            record.problem = f"{type(error).__name__}: {error}"
            return record
        record.status = 500 if endpoint in self.failing else 201
        return record


def vapid_check(headers: dict, *, endpoint: str, expected_key: str | None) -> dict:
    """RFC 8292 §3: ``vapid t=<JWT>, k=<public key>``; the claims when it is valid."""
    authorization = headers.get("authorization", "")
    match = re.fullmatch(r"vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)", authorization)
    if match is None:
        raise ValueError("no vapid Authorization")
    token, key = match.groups()
    if expected_key is not None and key != expected_key:
        raise ValueError("not the application server key")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise ValueError("JWT alg is not ES256")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError("ES256 signature is not r ‖ s")
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("JWT signature does not verify") from None
    claims = json.loads(b64url_decode(claims_b64))
    scheme, rest = endpoint.split("://", 1)
    if claims.get("aud") != f"{scheme}://{rest.split('/', 1)[0]}":
        raise ValueError("JWT aud is not the endpoint's origin")
    now = time.time()
    if not (now < claims.get("exp", 0) <= now + 86400):
        raise ValueError("JWT exp not in the next 24 hours")
    if not re.match(r"^(mailto:.+@.+|https://.+)$", claims.get("sub", "")):
        raise ValueError("JWT sub is not a mailto: or https: URL")
    return claims


class PushServer:
    """``with PushServer() as service:`` a PushService listening on 127.0.0.1."""

    def __enter__(self) -> PushService:
        service_box: list[PushService] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                record = service_box[0].receive(self.path, headers, body)
                self.send_response(record.status)
                if record.status == 201:
                    self.send_header(
                        "Location",
                        f"{service_box[0].origin}/message/{len(service_box[0].received)}",
                    )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        service = PushService(origin=f"http://127.0.0.1:{self.server.server_address[1]}")
        service_box.append(service)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return service

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
