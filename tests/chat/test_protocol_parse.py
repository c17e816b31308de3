"""Frame parsing (chat/protocol/parse.py, docs/protocol.md §2.2, §8).

Every client frame either decodes into its struct or raises ProtocolError with the code
of §8.4; the ``ref`` of a refused frame is echoed when it can be read.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from chat import errors as domain
from chat.protocol import frames as f
from chat.protocol.errors import DOMAIN_ERROR_CODES, ErrorCode, ProtocolError, protocol_error_from
from chat.protocol.parse import MAX_FRAME_BYTES, staff_parser, visitor_parser

PARSERS = {"visitor": visitor_parser(), "staff": staff_parser()}
UUID = "0b9a3c5e-7d41-4f6a-9c2e-1f0e8d7c6b5a"
B64_65 = base64.b64encode(b"\x04" + bytes(64)).decode()  # 65 bytes: "BAAA…AAA="


def refused(endpoint: str, frame) -> ProtocolError:
    """Parse ``frame`` (a dict is sent as JSON, a str as is) and return the refusal."""
    text = frame if isinstance(frame, str) else json.dumps(frame)
    with pytest.raises(ProtocolError) as caught:
        PARSERS[endpoint].parse(text)
    return caught.value


def with_field(frame: dict, path: str, value) -> dict:
    """A deep copy of ``frame`` with the dotted ``path`` set to ``value``."""
    changed = copy.deepcopy(frame)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return changed


def without_field(frame: dict, name: str) -> dict:
    changed = copy.deepcopy(frame)
    del changed[name]
    return changed


# -- valid frames -----------------------------------------------------------------------

VISITOR_CLASSES = {frame.__struct_config__.tag: frame for frame in f.VISITOR_FRAMES}
STAFF_CLASSES = {frame.__struct_config__.tag: frame for frame in f.STAFF_FRAMES}


@pytest.mark.parametrize("kind", sorted(VISITOR_CLASSES))
def test_every_visitor_frame_type_decodes_on_the_visitor_endpoint(frame_examples, kind):
    frame = PARSERS["visitor"].parse(json.dumps(frame_examples[kind]))
    assert type(frame) is VISITOR_CLASSES[kind]
    assert frame.ref == "r-1"


@pytest.mark.parametrize("kind", sorted(STAFF_CLASSES))
def test_every_staff_frame_type_decodes_on_the_staff_endpoint(frame_examples, kind):
    frame = PARSERS["staff"].parse(json.dumps(frame_examples[kind]))
    assert type(frame) is STAFF_CLASSES[kind]
    assert frame.ref == "r-1"


def test_decoded_binary_fields_are_bytes_of_the_sent_values(frame_examples):
    frame = PARSERS["visitor"].parse(json.dumps(frame_examples["conversation.resume"]))
    assert frame.token == bytes(range(32))
    assert frame.after == 0


def test_a_frame_without_ref_decodes_with_ref_none(frame_examples):
    frame = PARSERS["visitor"].parse(json.dumps(without_field(frame_examples["ping"], "ref")))
    assert frame.ref is None


def test_an_open_frame_may_have_no_campaign(frame_examples):
    frame = with_field(frame_examples["conversation.open"], "campaign", None)
    assert PARSERS["visitor"].parse(json.dumps(frame)).campaign is None


def test_a_frame_of_exactly_the_maximum_size_is_not_too_large(frame_examples):
    text = json.dumps(frame_examples["ping"])
    text += " " * (MAX_FRAME_BYTES - len(text.encode()))
    assert isinstance(PARSERS["visitor"].parse(text), f.Ping)


# -- not a JSON object ------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", PARSERS)
@pytest.mark.parametrize(
    "text",
    ["", "{", "not json", "[]", '["ping"]', "42", '"ping"', "null", "true", '{"type": "ping"} x'],
)
def test_anything_but_one_json_object_is_a_bad_frame(endpoint, text):
    assert refused(endpoint, text).code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize("endpoint", PARSERS)
def test_a_binary_frame_is_a_bad_frame(endpoint):
    with pytest.raises(ProtocolError) as caught:
        PARSERS[endpoint].parse(None, b'{"type": "ping"}')
    assert caught.value.code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize("endpoint", PARSERS)
def test_a_frame_over_65536_bytes_is_too_large(endpoint, frame_examples):
    text = json.dumps(frame_examples["ping"])
    text += " " * (MAX_FRAME_BYTES + 1 - len(text.encode()))
    error = refused(endpoint, text)
    # The ref was readable: the refusal carries it, so a client matching answers by ref
    # is not left waiting.
    assert (error.code, error.ref) == (ErrorCode.TOO_LARGE, "r-1")


def test_the_frame_size_is_counted_in_utf8_bytes_not_characters():
    # 40,000 characters, 80,000 bytes.
    text = json.dumps({"type": "ping", "ref": "r"}) + "\u00e9" * 40_000
    error = refused("visitor", text)
    assert (error.code, error.ref) == (ErrorCode.TOO_LARGE, None)  # not JSON: no ref


@pytest.mark.parametrize("endpoint", PARSERS)
def test_a_text_with_a_lone_surrogate_is_a_bad_frame(endpoint):
    # Cannot arrive through Daphne (it checks UTF-8), but parse promises ProtocolError only.
    assert refused(endpoint, '{"type": "ping", "ref": "\ud800"}').code == ErrorCode.BAD_FRAME


@pytest.mark.parametrize("endpoint", PARSERS)
@pytest.mark.parametrize(
    "text",
    [
        '{"type": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"x": ' + "[" * 5000 + "]" * 5000 + ', "type": "ping"}',
        '{"ref": "r-1", "type": "ping", "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
        '{"ref": "r-1", "zzz": 1, "type": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
    ids=["deep-type", "deep-field-before-type", "deep-unknown-field", "deep-type-after-junk"],
)
def test_deeply_nested_json_is_a_bad_frame_not_a_crash(endpoint, text):
    assert refused(endpoint, text).code in {ErrorCode.BAD_FRAME, ErrorCode.UNKNOWN_TYPE}


# -- types ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", PARSERS)
@pytest.mark.parametrize("kind", ["chat.message", "PING", "", 7, None, ["ping"], {"t": 1}])
def test_an_unknown_type_is_unknown_type(endpoint, kind):
    assert refused(endpoint, {"type": kind}).code == ErrorCode.UNKNOWN_TYPE


def test_a_frame_without_type_is_unknown_type():
    assert refused("visitor", {"ref": "r-1"}).code == ErrorCode.UNKNOWN_TYPE


@pytest.mark.parametrize(
    "kind",
    ["device.auth", "conversation.list", "conversation.subscribe", "conversation.unsubscribe"],
)
def test_a_staff_frame_on_the_visitor_endpoint_is_unknown_type(frame_examples, kind):
    error = refused("visitor", frame_examples[kind])
    assert error.code == ErrorCode.UNKNOWN_TYPE
    assert error.ref == "r-1"


@pytest.mark.parametrize("kind", ["conversation.open", "conversation.resume"])
def test_a_visitor_frame_on_the_staff_endpoint_is_unknown_type(frame_examples, kind):
    assert refused("staff", frame_examples[kind]).code == ErrorCode.UNKNOWN_TYPE


# -- fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ping", "conversation.open", "envelope.send", "commit.submit"])
def test_an_unknown_field_is_a_bad_frame(frame_examples, kind):
    frame = with_field(frame_examples[kind], "colour", "blue")
    error = refused("visitor", frame)
    assert error.code == ErrorCode.BAD_FRAME
    assert error.ref == "r-1"


@pytest.mark.parametrize(
    "path", ["envelope.colour", "commit.colour", "commit.members.0.colour", "wraps.1.colour"]
)
def test_an_unknown_field_inside_a_nested_object_is_a_bad_frame(frame_examples, path):
    kind = "envelope.send" if path.startswith("envelope") else "commit.submit"
    assert refused("visitor", with_field(frame_examples[kind], path, 1)).code == "bad_frame"


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("conversation.open", "language"),
        ("conversation.open", "campaign"),
        ("conversation.resume", "token"),
        ("commit.submit", "signature"),
        ("envelope.send", "envelope"),
        ("sync", "after"),
    ],
)
def test_a_missing_field_is_a_bad_frame(frame_examples, kind, name):
    assert refused("visitor", without_field(frame_examples[kind], name)).code == "bad_frame"


BAD_BASE64 = {
    "urlsafe alphabet": base64.urlsafe_b64encode(b"\xfb\xff" + bytes(63)).decode(),
    "missing padding": B64_65.rstrip("="),
    "leading space": " " + B64_65,
    "trailing newline": B64_65 + "\n",
    "line break inside": B64_65[:40] + "\n" + B64_65[40:],
    "padding inside": "BA==" + B64_65[4:],
    "not a string": 65,
    "list of bytes": [4] * 65,
}


@pytest.mark.parametrize("value", BAD_BASE64.values(), ids=BAD_BASE64.keys())
def test_binary_fields_accept_only_standard_padded_base64(frame_examples, value):
    assert value != B64_65
    good = with_field(frame_examples["conversation.open"], "visitor_kem_pk", B64_65)
    PARSERS["visitor"].parse(json.dumps(good))
    frame = with_field(frame_examples["conversation.open"], "visitor_kem_pk", value)
    assert refused("visitor", frame).code == ErrorCode.BAD_FRAME


def b64(length: int) -> str:
    return base64.b64encode(bytes(length)).decode()


WRONG_LENGTHS = [
    ("conversation.open", "visitor_kem_pk", 64),
    ("conversation.open", "visitor_kem_pk", 66),
    ("conversation.open", "visitor_sig_pk", 33),
    ("conversation.resume", "token", 31),
    ("conversation.resume", "token", 33),
    ("commit.submit", "signature", 63),
    ("commit.submit", "signature", 65),
    ("commit.submit", "signature", 72),  # a DER signature is not r ‖ s
    ("commit.submit", "commit.prev_commit_hash", 31),
    ("commit.submit", "commit.key_commitment", 33),
    ("commit.submit", "commit.members.0.key_id", 15),
    ("commit.submit", "wraps.0.key_id", 17),
    ("commit.submit", "wraps.0.ct", 112),
    ("commit.submit", "wraps.0.ct", 114),
    ("envelope.send", "envelope.stream", 15),
    ("envelope.send", "envelope.stream", 17),
    ("envelope.send", "envelope.sig", 65),
    ("envelope.send", "envelope.ct", 271),
    ("envelope.send", "envelope.ct", 32785),
    # Within 272–32,784 bytes but not a padding bucket + 16 (§6.2).
    ("envelope.send", "envelope.ct", 300),
    ("envelope.send", "envelope.ct", 1024 + 15),
    ("device.auth", "signature", 64 + 1),
]


@pytest.mark.parametrize(("kind", "path", "length"), WRONG_LENGTHS)
def test_binary_fields_of_the_wrong_length_are_bad_frames(frame_examples, kind, path, length):
    endpoint = "staff" if kind == "device.auth" else "visitor"
    frame = with_field(frame_examples[kind], path, b64(length))
    error = refused(endpoint, frame)
    assert error.code == ErrorCode.BAD_FRAME
    assert error.ref == "r-1"


BAD_INTEGERS = {
    "negative": -1,
    "2^53": 2**53,
    "huge": 10**30,
    "float": 1.5,
    "whole float": 1.0,
    "string": "1",
    "boolean": True,
    "null": None,
}


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("conversation.resume", "after"),
        ("sync", "after"),
        ("receipt", "order"),
        ("envelope.send", "envelope.seq"),
        ("envelope.send", "envelope.epoch"),
        ("commit.submit", "commit.created_at"),
        ("commit.submit", "commit.team_key_version"),
    ],
)
@pytest.mark.parametrize("value", BAD_INTEGERS.values(), ids=BAD_INTEGERS.keys())
def test_integers_outside_0_to_2_53_minus_1_are_bad_frames(frame_examples, kind, path, value):
    assert refused("visitor", with_field(frame_examples[kind], path, value)).code == "bad_frame"


def test_the_largest_u32_is_a_valid_epoch_and_team_key_version(frame_examples):
    frame = with_field(frame_examples["commit.submit"], "commit.epoch", 2**32 - 1)
    frame = with_field(frame, "commit.team_key_version", 2**32 - 1)
    commit = PARSERS["visitor"].parse(json.dumps(frame)).commit
    assert (commit.epoch, commit.team_key_version) == (2**32 - 1, 2**32 - 1)


def test_the_largest_safe_integer_is_accepted(frame_examples):
    frame = with_field(frame_examples["sync"], "after", 2**53 - 1)
    assert PARSERS["visitor"].parse(json.dumps(frame)).after == 2**53 - 1


BAD_UUIDS = {
    "upper case": UUID.upper(),
    "no hyphens": UUID.replace("-", ""),
    "braces": "{" + UUID + "}",
    "short": UUID[:-1],
    "long": UUID + "0",
    "not hex": "g" + UUID[1:],
    "urn": "urn:uuid:" + UUID,
    "number": 12,
}


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("sync", "conversation_id"),
        ("receipt", "conversation_id"),
        ("certs.get", "device_ids.0"),
        ("commit.submit", "conversation_id"),
        ("commit.submit", "commit.conversation_id"),
        ("envelope.send", "envelope.conversation_id"),
        ("envelope.send", "envelope.sender"),
    ],
)
@pytest.mark.parametrize("value", BAD_UUIDS.values(), ids=BAD_UUIDS.keys())
def test_identifiers_must_be_lowercase_uuids(frame_examples, kind, path, value):
    assert refused("visitor", with_field(frame_examples[kind], path, value)).code == "bad_frame"


def test_a_staff_frame_with_a_bad_device_id_is_a_bad_frame(frame_examples):
    frame = with_field(frame_examples["device.auth"], "device_id", UUID.upper())
    assert refused("staff", frame).code == ErrorCode.BAD_FRAME


BAD_REFS = {
    "empty": "",
    "65 characters": "r" * 65,
    "space": "r 1",
    "dot": "r.1",
    "non-ascii": "r\u00e9",
    "number": 1,
}


@pytest.mark.parametrize("value", BAD_REFS.values(), ids=BAD_REFS.keys())
def test_a_bad_ref_is_a_bad_frame(frame_examples, value):
    assert refused("visitor", with_field(frame_examples["ping"], "ref", value)).code == "bad_frame"


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("conversation.open", "suite", 0),
        ("conversation.open", "suite", 256),
        ("conversation.open", "language", "f"),
        ("conversation.open", "language", "fr_FR"),
        ("conversation.open", "language", "x" * 17),
        ("conversation.open", "campaign", ""),
        ("conversation.open", "campaign", "c" * 33),
        ("conversation.open", "campaign", "a b"),
        ("receipt", "kind", "seen"),
        ("certs.get", "device_ids", []),
        ("certs.get", "device_ids", [UUID] * 33),
        ("envelope.send", "envelope.content_type", ""),
        ("envelope.send", "envelope.content_type", "Text"),
        ("envelope.send", "envelope.content_type", "t" * 33),
        ("envelope.send", "envelope.sender", "staff"),
        ("commit.submit", "commit.reason", "join"),
        ("commit.submit", "commit.members", []),
        ("commit.submit", "commit.members.0.kind", "admin"),
        ("commit.submit", "commit.members.0.label", "l" * 65),
        ("commit.submit", "commit.epoch", 2**32),
        ("commit.submit", "commit.team_key_version", 2**32),  # u32 in the signed body
        ("commit.submit", "wraps", []),
    ],
)
def test_fields_outside_their_schema_are_bad_frames(frame_examples, kind, path, value):
    assert refused("visitor", with_field(frame_examples[kind], path, value)).code == "bad_frame"


def test_more_than_16_members_or_wraps_is_a_bad_frame(frame_examples):
    frame = frame_examples["commit.submit"]
    members = frame["commit"]["members"]
    wraps = frame["wraps"]
    too_many_members = with_field(frame, "commit.members", members * 9)
    too_many_wraps = with_field(frame, "wraps", wraps * 9)
    assert refused("visitor", too_many_members).code == ErrorCode.BAD_FRAME
    assert refused("visitor", too_many_wraps).code == ErrorCode.BAD_FRAME


# -- ref echo ---------------------------------------------------------------------------


def test_the_ref_of_a_bad_frame_is_echoed(frame_examples):
    frame = with_field(frame_examples["sync"], "after", -1)
    frame["ref"] = "ask-42"
    assert refused("visitor", frame).ref == "ask-42"


def test_the_ref_of_an_unknown_type_is_echoed():
    assert refused("staff", {"type": "nope", "ref": "x_1"}).ref == "x_1"


@pytest.mark.parametrize("ref", [17, None, ["r"], "r" * 65])
def test_an_unreadable_ref_is_not_echoed(ref):
    assert refused("visitor", {"type": "nope", "ref": ref}).ref is None


def test_a_frame_that_is_not_json_has_no_ref():
    assert refused("visitor", '{"type": "ping", "ref": "r-1"').ref is None


# -- domain errors map to codes ---------------------------------------------------------


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_every_chat_domain_error_has_a_protocol_code():
    # Errors of other apps (ops) may subclass ChatError for their HTTP views; the ones a
    # consumer can meet are chat's own.
    chat_errors = {
        cls for cls in all_subclasses(domain.ChatError) if cls.__module__ == "chat.errors"
    }
    assert chat_errors <= set(DOMAIN_ERROR_CODES)


def test_a_domain_error_keeps_its_ref_and_message():
    error = protocol_error_from(domain.SeqConflict("taken"), "r-9")
    assert (error.code, error.message, error.ref) == (ErrorCode.SEQ_CONFLICT, "taken", "r-9")
