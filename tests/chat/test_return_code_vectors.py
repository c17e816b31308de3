"""The return code's derivation (docs/protocol.md §10) against the shared known answers
of tests/fixtures/return_code_vectors.json, which the browser tests read too
(tests/browser/test_js_return_code.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chat.crypto import return_code as rc
from chat.crypto.errors import BadCiphertext, BadObject
from chat.services.return_codes import lookup_hmac

V = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "return_code_vectors.json").read_text(
        encoding="utf-8"
    )
)


def state_of(entry: dict) -> rc.ReturnState:
    state = entry["state"]
    return rc.ReturnState(
        conversation_id=state["conversation_id"],
        **{k: bytes.fromhex(v) for k, v in state.items() if k != "conversation_id"},
    )


@pytest.mark.parametrize("entry", V["valid"])
def test_every_typed_form_derives_the_vectors_lookup_and_key(entry):
    for typed in entry["typed"]:
        assert rc.code_normalise(typed) == entry["code"]
        keys = rc.code_keys(typed)
        assert (keys.lookup.hex(), keys.key.hex()) == (entry["lookup"], entry["key"])
    assert rc.code_display(entry["code"]) == entry["display"]


@pytest.mark.parametrize("entry", V["valid"])
def test_the_sealed_state_is_byte_exact_and_opens(entry):
    keys = rc.code_keys(entry["code"])
    state = state_of(entry)
    assert rc.state_bytes(state).hex() == entry["state_bytes"]
    assert rc.seal_aad(keys.lookup).hex() == entry["aad"]
    sealed = rc.state_seal(keys, state, nonce=bytes.fromhex(entry["nonce"]))
    assert sealed.hex() == entry["sealed"]
    assert rc.state_open(keys, sealed) == state


@pytest.mark.parametrize("entry", V["valid"])
def test_the_server_hmac_of_the_lookup_matches(entry, settings):
    settings.RETURN_CODE_PEPPER = V["pepper"]
    assert lookup_hmac(bytes.fromhex(entry["lookup"])).hex() == entry["lookup_hmac"]


@pytest.mark.parametrize("typed", V["invalid"])
def test_typos_are_caught_before_anything_is_derived(typed):
    with pytest.raises(rc.CodeInvalid):
        rc.code_keys(typed)


def test_every_single_wrong_digit_and_every_neighbour_swap_is_caught():
    code = V["valid"][1]["code"]
    for i in range(rc.CODE_DIGITS):
        for digit in "0123456789":
            if digit != code[i]:
                with pytest.raises(rc.CodeInvalid):
                    rc.code_normalise(code[:i] + digit + code[i + 1 :])
        if i + 1 < rc.CODE_DIGITS and code[i] != code[i + 1]:
            with pytest.raises(rc.CodeInvalid):
                rc.code_normalise(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


@pytest.mark.parametrize("entry", V["generated"])
def test_random_bytes_make_the_vectors_code(entry):
    assert rc.code_from_random(bytes.fromhex(entry["random"])) == entry["code"]


def test_too_few_usable_random_bytes_make_no_code():
    with pytest.raises(ValueError):
        rc.code_from_random(bytes.fromhex(V["too_few_random_bytes"]))


def test_a_new_code_has_at_least_128_random_bits_and_a_valid_check_digit():
    assert rc.RANDOM_DIGITS * math.log2(10) >= 128
    codes = {rc.code_generate() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert rc.code_normalise(code) == code


def test_a_sealed_state_opens_only_with_its_own_code():
    entry, other = V["valid"][0], V["valid"][1]
    sealed = bytes.fromhex(entry["sealed"])
    with pytest.raises(BadCiphertext):
        rc.state_open(rc.code_keys(other["code"]), sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(BadCiphertext):
        rc.state_open(rc.code_keys(entry["code"]), tampered)
    with pytest.raises(BadObject):
        rc.state_open(rc.code_keys(entry["code"]), sealed[:20])
