"""The close codes have one name each, in chat/protocol/close_codes.py: exported in
docs/protocol-v1.schema.json (``$defs/CloseCode``), written nowhere else in the server's
Python, and the JavaScript clients' copies are the exported values."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from chat.consumers import base
from chat.protocol.close_codes import FINAL, CloseCode
from chat.protocol.schema import SCHEMA_PATH

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = ("chat", "ops", "audit", "config", "widget")
JS_COPIES = {
    # file: {constant: the codes it must hold}
    "chat/static/chat/protocol/session.js": "FATAL_CLOSE_CODES",
    "ops/static/ops/interpreter-room.js": "ENDED_CLOSE_CODE",
}
CODE = re.compile(r"\b44\d\d\b")


def exported() -> dict[str, dict]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return {entry["title"]: entry for entry in schema["$defs"]["CloseCode"]["oneOf"]}


def js_code(path: Path) -> str:
    """The file without its comments."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def js_constant(path: Path, name: str) -> set[int]:
    match = re.search(rf"const {name} = ([^;]*);", js_code(path))
    assert match, f"{path}: no {name}"
    return {int(code) for code in CODE.findall(match.group(1))}


def test_the_schema_exports_every_code_with_its_name_and_finality():
    assert {name: entry["const"] for name, entry in exported().items()} == {
        code.name: code.value for code in CloseCode
    }
    assert {entry["const"] for entry in exported().values() if entry["x-final"]} == FINAL


def test_the_javascript_copies_are_the_exported_values():
    codes = exported()
    final = {entry["const"] for entry in codes.values() if entry["x-final"]}
    session = BASE_DIR / "chat/static/chat/protocol/session.js"
    room = BASE_DIR / "ops/static/ops/interpreter-room.js"
    assert js_constant(session, "FATAL_CLOSE_CODES") == final
    assert js_constant(room, "ENDED_CLOSE_CODE") == {codes["INTERPRETER_ENDED"]["const"]}


def test_no_other_javascript_writes_a_close_code():
    written = []
    for package in PRODUCTION:
        for path in (BASE_DIR / package).rglob("*.js"):
            relative = path.relative_to(BASE_DIR).as_posix()
            if {"node_modules", "dist", "vendor"} & set(path.parts) or relative in JS_COPIES:
                continue
            if CODE.search(js_code(path)):
                written.append(relative)
    assert written == []


def test_the_server_names_every_close_code():
    """No 44xx number in the server's Python but in the enum: one name per code."""
    written = []
    for package in PRODUCTION:
        for path in (BASE_DIR / package).rglob("*.py"):
            if path == BASE_DIR / "chat/protocol/close_codes.py" or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and type(node.value) is int
                    and 4400 <= node.value < 4500
                ):
                    written.append(f"{path.relative_to(BASE_DIR)}:{node.lineno}")
    assert written == []


async def test_a_socket_is_closed_with_a_plain_int_as_autobahn_requires(sockets, monkeypatch):
    """Daphne hands the code to Autobahn, which refuses any type but int (a CloseCode
    included: the socket then ended 1011, "internal error", in the live tests)."""
    monkeypatch.setattr(base, "AUTH_TIMEOUT_SECONDS", 0.2)
    socket = await sockets.visitor()
    while (output := await socket.communicator.receive_output(5))["type"] != "websocket.close":
        pass
    assert output["code"] == CloseCode.AUTH_TIMEOUT
    assert type(output["code"]) is int
