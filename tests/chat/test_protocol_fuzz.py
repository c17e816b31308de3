"""Fuzzing the frame parsers (chat/protocol/parse.py): whatever a client sends, ``parse``
returns a frame of its endpoint or raises ProtocolError — never anything else, so no
frame can reach a consumer's catch-all as an internal error."""

from __future__ import annotations

import base64
import copy
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.protocol import frames as f
from chat.protocol.errors import ErrorCode, ProtocolError
from chat.protocol.parse import staff_parser, visitor_parser

PARSERS = {"visitor": visitor_parser(), "staff": staff_parser()}
FRAME_CLASSES = {"visitor": f.VISITOR_FRAMES, "staff": f.STAFF_FRAMES}
ALL_TYPES = sorted({frame.__struct_config__.tag for frame in (*f.VISITOR_FRAMES, *f.STAFF_FRAMES)})
MANY = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values a field might plausibly be confused with: near-miss lengths of base64, ids,
# integers at the edges of the safe range, and the names of real types and fields.
edge_values = st.one_of(
    st.binary(min_size=0, max_size=120).map(lambda b: base64.b64encode(b).decode()),
    st.binary(min_size=0, max_size=70).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.sampled_from([0, 1, -1, 2**32 - 1, 2**32, 2**53 - 1, 2**53, -(2**63), 2**64]),
    st.sampled_from([*ALL_TYPES, "visitor", "team", "device", "open", "rekey", "text"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    edge_values,
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)


def outcome_is_a_frame_or_a_protocol_error(endpoint: str, text: str | None) -> None:
    try:
        frame = PARSERS[endpoint].parse(text)
    except ProtocolError as exc:
        assert isinstance(exc.code, ErrorCode)
        assert exc.ref is None or (isinstance(exc.ref, str) and len(exc.ref) <= 64)
        return
    assert isinstance(frame, FRAME_CLASSES[endpoint])


endpoints = st.sampled_from(sorted(PARSERS))


@MANY
@given(endpoint=endpoints, text=st.text(max_size=300))
def test_any_text_parses_or_is_refused(endpoint, text):
    outcome_is_a_frame_or_a_protocol_error(endpoint, text)


# Websocket text is UTF-8, so lone surrogates cannot arrive through Daphne; a Python str
# can still hold them (the ASGI test communicator passes any str), and parse must cope.
surrogate_text = st.lists(
    st.one_of(
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]),
        st.text(max_size=10),
        st.sampled_from(['{"type": "ping", "ref": "', '"}', '{"type": "', '", "x": "']),
    ),
    max_size=8,
).map("".join)


@SOME
@given(endpoint=endpoints, text=surrogate_text)
def test_any_unicode_including_surrogates_parses_or_is_refused(endpoint, text):
    outcome_is_a_frame_or_a_protocol_error(endpoint, text)


@MANY
@given(endpoint=endpoints, value=json_values, ascii_only=st.booleans())
def test_any_json_value_parses_or_is_refused(endpoint, value, ascii_only):
    outcome_is_a_frame_or_a_protocol_error(endpoint, json.dumps(value, ensure_ascii=ascii_only))


@SOME
@given(endpoint=endpoints, data=st.binary(max_size=200))
def test_any_binary_frame_is_a_bad_frame(endpoint, data):
    with pytest.raises(ProtocolError) as caught:
        PARSERS[endpoint].parse(None, data)
    assert caught.value.code == ErrorCode.BAD_FRAME


# -- structured mutations of valid frames -----------------------------------------------


def containers(value, path=()):
    """Every dict and list inside ``value``, with its path."""
    if isinstance(value, dict | list):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            yield from containers(child, (*path, key))


def mutate(data, frame: dict) -> dict:
    """Apply 1–4 random mutations: drop, add or replace a field or element anywhere, or
    replace the type."""
    frame = copy.deepcopy(frame)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        targets = list(containers(frame))
        _, target = data.draw(st.sampled_from(targets), label="container")
        action = data.draw(st.sampled_from(["drop", "add", "replace", "type"]), label="action")
        if action == "type":
            frame["type"] = data.draw(st.sampled_from(ALL_TYPES) | st.text(max_size=20))
        elif isinstance(target, dict):
            keys = sorted(target)
            if action == "add" or not keys:
                name = data.draw(st.sampled_from(["ref", "type", "extra"]) | st.text(max_size=8))
                target[name] = data.draw(json_values, label="added")
            else:
                key = data.draw(st.sampled_from(keys), label="key")
                if action == "drop":
                    del target[key]
                else:
                    target[key] = data.draw(json_values, label="value")
        else:
            if action == "add" or not target:
                position = data.draw(st.integers(0, len(target)), label="position")
                target.insert(position, data.draw(json_values, label="inserted"))
            else:
                position = data.draw(st.integers(0, len(target) - 1), label="position")
                if action == "drop":
                    del target[position]
                else:
                    target[position] = data.draw(json_values, label="element")
    return frame


@MANY
@given(endpoint=endpoints, data=st.data())
def test_mutated_valid_frames_parse_or_are_refused(frame_examples, endpoint, data):
    kind = data.draw(st.sampled_from(sorted(frame_examples)), label="kind")
    frame = mutate(data, frame_examples[kind])
    outcome_is_a_frame_or_a_protocol_error(endpoint, json.dumps(frame))


@SOME
@given(
    endpoint=endpoints,
    data=st.data(),
    depth=st.integers(1, 4000),
    nesting=st.sampled_from(["list", "object"]),
)
def test_deeply_nested_values_in_any_field_parse_or_are_refused(
    frame_examples, endpoint, data, depth, nesting
):
    kind = data.draw(st.sampled_from(sorted(frame_examples)), label="kind")
    frame = copy.deepcopy(frame_examples[kind])
    frame[data.draw(st.sampled_from([*sorted(frame), "extra"]), label="field")] = "__deep__"
    opener, closer = ("[", "]") if nesting == "list" else ('{"a": ', "}")
    deep = opener * depth + ("" if nesting == "list" else "1") + closer * depth
    text = json.dumps(frame).replace('"__deep__"', deep)
    outcome_is_a_frame_or_a_protocol_error(endpoint, text)


@SOME
@given(endpoint=endpoints, data=st.data())
def test_valid_frames_keep_their_ref_when_one_field_is_broken(frame_examples, endpoint, data):
    kind = data.draw(st.sampled_from(sorted(frame_examples)), label="kind")
    frame = copy.deepcopy(frame_examples[kind])
    ref = data.draw(st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"), label="ref")
    frame["ref"] = ref
    frame[data.draw(st.sampled_from(["unexpected", "colour"]))] = 1
    with pytest.raises(ProtocolError) as caught:
        PARSERS[endpoint].parse(json.dumps(frame))
    assert caught.value.ref == ref


@SOME
@given(endpoint=endpoints, data=st.data())
def test_valid_frames_with_fresh_ids_and_refs_decode(frame_examples, endpoint, data):
    names = {frame.__struct_config__.tag for frame in FRAME_CLASSES[endpoint]}
    kind = data.draw(st.sampled_from(sorted(names)), label="kind")
    frame = copy.deepcopy(frame_examples[kind])
    frame["ref"] = data.draw(st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"), label="ref")
    for name in ("conversation_id", "device_id"):
        if name in frame:
            frame[name] = str(data.draw(st.uuids(), label=name))
    for name in ("after", "order"):
        if name in frame:
            frame[name] = data.draw(st.integers(0, 2**53 - 1), label=name)
    parsed = PARSERS[endpoint].parse(json.dumps(frame))
    assert parsed.ref == frame["ref"]
    assert parsed.__struct_config__.tag == kind


def test_the_mutation_helper_reaches_nested_objects(frame_examples):
    paths = [path for path, _ in containers(frame_examples["commit.submit"])]
    assert ("commit", "members", 0) in paths
    assert ("wraps", 1) in paths
    assert uuid.UUID(frame_examples["commit.submit"]["conversation_id"])
