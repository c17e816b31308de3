"""The JSON Schema of every websocket frame of protocol v1, generated from the msgspec
structs of chat/protocol/frames.py — the same structs the server validates client frames
with and encodes its own frames from.

``python -m chat.protocol.schema`` writes docs/protocol-v1.schema.json; a test fails when
the committed file is not what the code generates (tests/chat/test_protocol_schema.py).
The integration tests validate every frame a live server sends against the file.

Three entry points, under ``$defs``: ``VisitorClientFrame`` and ``StaffClientFrame``
(what each endpoint accepts) and ``ServerFrame`` (everything a server sends). The schema
is exact for this version: every object refuses fields it does not list. (msgspec's
``discriminator`` is OpenAPI's; JSON Schema validators ignore it, ``anyOf`` decides.)
Beside them, ``$defs/CloseCode``: the close codes (chat/protocol/close_codes.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Union

import msgspec

from chat.protocol import frames as f
from chat.protocol.close_codes import close_codes_schema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "protocol-v1.schema.json"
ENTRY_POINTS = ("VisitorClientFrame", "StaffClientFrame", "ServerFrame")


def frames_schema() -> dict:
    entries, components = msgspec.json.schema_components(
        [
            Union[f.VISITOR_FRAMES],  # noqa: UP007 — a union of tagged structs
            Union[f.STAFF_FRAMES],  # noqa: UP007
            f.SERVER_FRAMES,
        ],
        ref_template="#/$defs/{name}",
    )
    for component in components.values():
        if component.get("type") == "object":
            # Server structs do not refuse unknown fields when decoding (a client stays
            # usable with a later server); what this version sends, it lists exactly.
            component["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://helpline.invalid/protocol-v1.schema.json",
        "title": "Helpline protocol v1: websocket frames",
        "description": (
            "Every frame of docs/protocol.md §8, generated from chat/protocol/frames.py "
            "(python -m chat.protocol.schema). Binary values are standard padded base64 "
            "(contentEncoding base64; lengths are of the base64 text). Validate a client "
            "frame against #/$defs/VisitorClientFrame or #/$defs/StaffClientFrame, a "
            "server frame against #/$defs/ServerFrame."
        ),
        "$defs": {
            **dict(zip(ENTRY_POINTS, entries, strict=True)),
            **components,
            # Not a frame: the codes a server closes a socket with.
            "CloseCode": close_codes_schema(),
        },
    }


def schema_text() -> str:
    return json.dumps(frames_schema(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
