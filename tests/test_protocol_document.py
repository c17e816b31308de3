"""docs/protocol.md against the code: every example in it parses and follows the schema
(or the object's struct), and its tables of error codes, staff events, labels and the
Damm quasigroup are the code's — so a second implementation written from the document
is written against what the server does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest
from jsonschema import Draft202012Validator

from chat.crypto import certs, commits, messages
from chat.crypto.return_code import DAMM
from chat.protocol.errors import ErrorCode
from chat.protocol.frames import TeamWrap
from tests.frame_schema import SCHEMA, frame_check

BASE_DIR = Path(__file__).resolve().parents[1]
DOCUMENT = (BASE_DIR / "docs" / "protocol.md").read_text(encoding="utf-8")
# A JSON example is announced by the comment line before it, naming what it is.
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\n```json\n(.*?)\n```", re.DOTALL)
STRUCTS = {
    "DeviceCert": certs.DeviceCert,
    "TeamKeyAnnouncement": certs.TeamKeyAnnouncement,
    "TeamWrap": TeamWrap,
    "Commit": commits.Commit,
    "Envelope": messages.Envelope,
}
FRAMES = ("ServerFrame", "VisitorClientFrame", "StaffClientFrame")
EXAMPLES = EXAMPLE.findall(DOCUMENT)


def section(title: str) -> str:
    """The text of a section, from its heading to the next heading of its level."""
    start = DOCUMENT.index(title)
    level = title.split(" ")[0]
    end = DOCUMENT.find(f"\n{level} ", start + len(title))
    return DOCUMENT[start : end if end > 0 else None]


def test_every_json_block_is_an_announced_example():
    assert DOCUMENT.count("```json") == len(EXAMPLES) > 20


@pytest.mark.parametrize(
    ("kind", "text"), EXAMPLES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(EXAMPLES)]
)
def test_the_documents_examples_parse_and_follow_the_schema(kind, text):
    if kind in FRAMES:
        frame_check(text, kind)
    elif kind in STRUCTS:
        msgspec.json.decode(text, type=STRUCTS[kind])
        Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{kind}"}).validate(json.loads(text))
    else:
        assert kind == "http", kind
        assert isinstance(json.loads(text), dict)


def table_first_column(text: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)`", text, re.MULTILINE)


def test_the_error_codes_are_the_codes_the_server_sends():
    assert set(table_first_column(section("### 8.5 Errors"))) == {c.value for c in ErrorCode}


def emitted_staff_events() -> set[str]:
    """Every `staff.event` name the server's code can send."""
    names = set()
    for path in [*BASE_DIR.glob("ops/**/*.py"), *BASE_DIR.glob("chat/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'staff_event\(\s*[\w()." ]+,\s*"([a-z_.]+)"', text))
        names |= set(re.findall(r'"type": "staff\.event", "event": "([a-z_.]+)"', text))
    return names


def test_the_staff_events_listed_are_the_ones_the_server_sends():
    emitted = emitted_staff_events()
    assert len(emitted) >= 10
    assert set(table_first_column(section("### 8.8 Staff events"))) == emitted


def test_the_labels_listed_are_the_ones_the_code_binds():
    used = set()
    for path in [*BASE_DIR.glob("chat/**/*.py"), *BASE_DIR.glob("chat/static/chat/**/*.js")]:
        used |= set(re.findall(r'\blabel\("([a-z -]+)"\)', path.read_text(encoding="utf-8")))
    listed = re.search(r"The labels of version 1: (.*?)\.\n", section("### 2.1"), re.DOTALL)
    assert set(re.findall(r"`([a-z -]+)`", listed.group(1))) == used


def test_the_damm_table_is_the_one_return_codes_use():
    rows = re.findall(r"^(\d):((?:\s+\d){10})$", section("### 10.1 The code"), re.MULTILINE)
    assert [tuple(int(d) for d in digits.split()) for _, digits in rows] == list(DAMM)
