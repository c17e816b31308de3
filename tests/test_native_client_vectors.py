"""The client written from the document alone (tests/native_client.py) reproduces the
known answers of tests/fixtures/protocol_v1_vectors.json, and depends on no code of the
helpline: a second implementation, checked byte for byte like the first two."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests import native_client as n

TESTS = Path(__file__).resolve().parent
V = json.loads((TESTS / "fixtures" / "protocol_v1_vectors.json").read_text(encoding="utf-8"))
OURS = {"chat", "ops", "widget", "audit", "config", "bench"}


def key(name: str):  # noqa: ANN201
    return n.key_from_scalar(bytes.fromhex(V["keys"][name]["sk"]))


def pk(name: str) -> bytes:
    return bytes.fromhex(V["keys"][name]["pk"])


@pytest.mark.parametrize("module", ["native_client.py", "frame_schema.py"])
def test_the_client_imports_nothing_of_the_helpline(module):
    tree = ast.parse((TESTS / module).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0] for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }  # fmt: skip
    assert not imported & OURS, imported & OURS
    assert imported - {"__future__"} <= {
        "asyncio", "base64", "contextlib", "hashlib", "hmac", "http", "itertools", "json",
        "re", "secrets", "struct", "time", "urllib", "collections", "dataclasses",
        "pathlib", "cryptography", "websockets", "jsonschema", "tests",
    }  # fmt: skip


def test_key_ids_fingerprints_and_the_device_auth_input():
    for name, entry in V["keys"].items():
        assert n.public(key(name)).hex() == entry["pk"]
        assert n.key_id(pk(name)).hex() == entry["key_id"]
    assert n.admin_fingerprint(pk("admin")).hex() == V["admin_fingerprint"]
    assert (
        n.device_fingerprint(pk("device_kem"), pk("device_sig"))
        == (V["device_fingerprint"]["display"])
    )
    auth = V["device_auth"]
    message = (
        n.label("device-auth") + n.lp(bytes.fromhex(auth["nonce"])) + n.text(auth["device_id"])
    )
    assert message.hex() == auth["input"]
    n.verify(pk("device_sig"), message, n.b64d(auth["signature"]))


def test_certificates_team_keys_and_both_team_wraps():
    n.cert_verify(V["device_cert"]["json"], admin_pk=pk("admin"), role="staff")
    team = V["team_key"]
    n.team_verify(team["json"], admin_pk=pk("admin"))
    device = n.Device(
        kem=key("device_kem"), sig=key("device_sig"), device_id=V["device_id"],
        wrap_keys=[key("device_wrap_kem")],
    )  # fmt: skip
    first = {"kem_pk": n.b64e(pk("device_kem")), "ct": team["wrap"]["ct"]}
    assert (
        n.scalar_of(n.team_wrap_open(first, team["json"], device)).hex()
        == (V["keys"]["team"]["sk"])
    )
    rotated = V["wrap_key"]
    assert n.wrap_key_tbs(V["device_id"], pk("device_wrap_kem")).hex() == rotated["tbs"]
    n.verify(pk("device_sig"), bytes.fromhex(rotated["tbs"]), n.b64d(rotated["signature"]))
    second = rotated["team_key_v2"]
    opened = n.team_wrap_open(second["wrap"]["wire"], second["json"], device)
    assert n.scalar_of(opened).hex() == V["keys"]["team_v2"]["sk"]


@pytest.mark.parametrize("index", [0, 1])
def test_commits(index):
    section = V["commits"][index]
    commit = section["json"]
    assert n.commit_body(commit).hex() == section["body"]
    assert n.sha256(n.commit_body(commit)).hex() == section["hash"]
    author = "visitor_sig" if commit["author"] == "visitor" else "device_sig"
    recipients = {"team": "team", "visitor": "visitor_kem", "device": "interpreter_kem"}
    for member, wrap in zip(commit["members"], section["wraps"], strict=True):
        owner = recipients[member["kind"]]
        secret, _ = n.commit_open(
            commit, n.b64d(section["signature"]), wrap, author_pk=pk(author),
            prev_hash=None, open_keys={n.key_id(pk(owner)): key(owner)},
        )  # fmt: skip
        assert secret.hex() == section["epoch_secret"]


@pytest.mark.parametrize("index", range(len(V["messages"])))
def test_messages(index):
    section = V["messages"][index]
    envelope = section["envelope"]
    secret = bytes.fromhex(V["commits"][0]["epoch_secret"])
    digest = bytes.fromhex(V["commits"][0]["hash"])
    stream = n.b64d(envelope["stream"])
    k, base = n.message_keys(secret, envelope["conversation_id"], 0, envelope["sender"], stream)
    assert (k.hex(), base.hex()) == (section["key"], section["nonce_base"])
    assert n.message_nonce(base, envelope["seq"]).hex() == section["nonce"]
    aad = n.message_aad(
        envelope["conversation_id"], 0, digest, envelope["sender"], stream, envelope["seq"],
        envelope["content_type"],
    )  # fmt: skip
    assert aad.hex() == section["aad"]
    assert n.pad(section["content"].encode()).hex() == section["padded"]
    assert n.unpad(bytes.fromhex(section["padded"])).decode() == section["content"]
    assert n.signature_input(aad, bytes.fromhex(section["ct"])).hex() == section["signature_input"]


def test_nonces_past_two_to_the_32_and_notes():
    for case in V["nonces"]:
        assert (
            n.message_nonce(bytes.fromhex(case["nonce_base"]), case["seq"]).hex() == (case["nonce"])
        )
    for note in V["notes"]:
        info = (
            n.label("note") + n.u8(1) + n.text(note["conversation_id"])
            + n.u32(note["team_key_version"])
        )  # fmt: skip
        assert info.hex() == note["info"]
        assert n.hpke_open(key("team"), info, n.b64d(note["note"])).decode() == note["text"]
