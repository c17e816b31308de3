"""Frames checked against the protocol's JSON Schema, docs/protocol-v1.schema.json
(Draft 2020-12, with jsonschema): what tests use to show that what a server sends is what
the document says, byte for byte of JSON, not only what the Python structs accept.

The consumer tests (tests/chat/conftest.py) check every frame they receive; the
integration tests register ``ServerFrameCheck`` with the reference client's receive hook
(chat/client/connection.py) and fail a test whose live server sent a frame outside the
schema; the independent client of tests/native_client.py checks every frame it reads.
Needs no Django and imports nothing from chat/.
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "protocol-v1.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


class FrameOutsideSchema(AssertionError):
    """A frame the schema does not allow."""


def _validators(entry: str) -> dict[str, Draft202012Validator]:
    """One validator per frame type of an entry point (its discriminator's mapping), so
    an error names the field that is wrong rather than 21 alternatives."""
    mapping = SCHEMA["$defs"][entry]["discriminator"]["mapping"]
    return {kind: Draft202012Validator({**SCHEMA, "$ref": ref}) for kind, ref in mapping.items()}


VALIDATORS = {entry: _validators(entry) for entry in SCHEMA["$defs"] if entry.endswith("Frame")}


def frame_check(text: str, entry: str = "ServerFrame") -> dict:
    """The frame as JSON, or FrameOutsideSchema saying why it is not one of ``entry``
    (``ServerFrame``, ``VisitorClientFrame``, ``StaffClientFrame``)."""
    try:
        frame = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameOutsideSchema(f"not JSON: {exc}") from None
    kind = frame.get("type") if isinstance(frame, dict) else None
    validator = VALIDATORS[entry].get(kind)
    if validator is None:
        raise FrameOutsideSchema(f"no {entry} has type {kind!r}")
    errors = sorted(validator.iter_errors(frame), key=lambda error: list(error.path))
    if errors:
        where = "/".join(str(part) for part in errors[0].path) or "(frame)"
        raise FrameOutsideSchema(f"{kind} frame, at {where}: {errors[0].message}")
    return frame


class ServerFrameCheck:
    """A receive hook for the reference client: checks every frame, keeps what failed
    (raising in the client's reader would look like a lost connection)."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked = 0

    def __call__(self, text: str) -> None:
        self.checked += 1
        try:
            frame_check(text)
        except FrameOutsideSchema as exc:
            self.failures.append(f"{exc}: {text[:300]}")
