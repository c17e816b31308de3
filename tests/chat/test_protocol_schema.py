"""The protocol's JSON Schema (docs/protocol-v1.schema.json) is what chat/protocol/
frames.py generates, and it says what the parser says: every valid client frame passes
it, and the frames a consumer sends are checked against it in every consumer test
(tests/chat/conftest.py) and, from a live server, in every integration test."""

from __future__ import annotations

import json

import pytest

from chat.protocol.schema import SCHEMA_PATH, schema_text
from tests.frame_schema import FrameOutsideSchema, frame_check

STAFF_ONLY = {
    "device.auth",
    "conversation.list",
    "conversation.subscribe",
    "conversation.unsubscribe",
}
VISITOR_ONLY = {
    "conversation.open",
    "conversation.resume",
    "conversation.delete",
    "return_code.set",
    "return_code.revoke",
    "return_code.open",
}


def test_the_committed_schema_is_what_the_frames_generate():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "docs/protocol-v1.schema.json is stale: run python -m chat.protocol.schema"
    )


def test_every_client_frame_example_follows_its_endpoints_schema(frame_examples):
    for kind, frame in frame_examples.items():
        text = json.dumps(frame)
        if kind not in STAFF_ONLY:
            frame_check(text, "VisitorClientFrame")
        if kind not in VISITOR_ONLY:
            frame_check(text, "StaffClientFrame")


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "ping", "ref": "r-1", "typo": 1},  # unknown fields are refused
        {"type": "sync", "conversation_id": "not-a-uuid", "after": 0},
        {"type": "sync", "conversation_id": "3f0c9a52-8d1e-4b7a-9c61-2e5f4d8a7b10", "after": -1},
        {"type": "device.auth"},  # not a visitor frame
    ],
)
def test_what_the_parser_refuses_the_schema_refuses_too(frame):
    with pytest.raises(FrameOutsideSchema):
        frame_check(json.dumps(frame), "VisitorClientFrame")


def test_a_server_frame_outside_the_schema_is_caught():
    hello = {"type": "hello", "protocol": 1, "suites": [1], "max_frame": 65536}
    frame_check(json.dumps(hello))
    with pytest.raises(FrameOutsideSchema, match="current_epoch"):
        frame_check(
            json.dumps(
                {
                    "type": "conversation.list",
                    "conversations": [
                        {
                            "conversation_id": "3f0c9a52-8d1e-4b7a-9c61-2e5f4d8a7b10",
                            "state": "open",
                            "language": "fr",
                            "created_at": 1,
                            "last_activity_at": 1,
                            "last_order": 0,
                            "current_epoch": -1,
                        }
                    ],
                }
            )
        )
