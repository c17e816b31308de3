"""The browser's return-code derivation (chat/static/chat/crypto/return-code.js) against
the known answers Python is checked against too (tests/fixtures/return_code_vectors.json,
tests/chat/test_return_code_vectors.py), and a code made in Chromium opened by Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chat.crypto import return_code as rc

pytestmark = pytest.mark.browser

V = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "return_code_vectors.json").read_text(
        encoding="utf-8"
    )
)

LOAD = """async () => {
  window.rc = await import("/static/chat/crypto/return-code.js");
  window.enc = await import("/static/chat/crypto/encoding.js");
}"""


@pytest.fixture
def browser_rc(page, helpline_origin):
    page.goto(helpline_origin.url + "/healthz")
    page.evaluate(LOAD)
    return page


def test_the_browser_derives_and_seals_byte_for_byte_like_the_vectors(browser_rc):
    results = browser_rc.evaluate(
        """async (V) => {
          const { rc, enc } = window;
          const hex = enc.hexEncode, bytes = enc.hexDecode;
          const out = [];
          for (const entry of V.valid) {
            const typed = [];
            for (const form of entry.typed) {
              const keys = await rc.codeKeys(form);
              typed.push([rc.codeNormalise(form), hex(keys.lookup), hex(keys.key)]);
            }
            const keys = await rc.codeKeys(entry.code);
            const s = entry.state;
            const state = {
              conversationId: s.conversation_id, token: bytes(s.token),
              kemScalar: bytes(s.kem_scalar), kemPk: bytes(s.kem_pk),
              sigScalar: bytes(s.sig_scalar), sigPk: bytes(s.sig_pk),
            };
            const sealed = await rc.stateSeal(keys, state, { nonce: bytes(entry.nonce) });
            const opened = await rc.stateOpen(keys, bytes(entry.sealed));
            out.push({
              typed,
              display: rc.codeDisplay(entry.code),
              state_bytes: hex(rc.stateBytes(state)),
              aad: hex(rc.sealAad(keys.lookup)),
              sealed: hex(sealed),
              opened_token: hex(opened.token),
              opened_conversation: opened.conversationId,
            });
          }
          return out;
        }""",
        V,
    )
    for entry, got in zip(V["valid"], results, strict=True):
        assert got["typed"] == [[entry["code"], entry["lookup"], entry["key"]]] * len(
            entry["typed"]
        )
        assert got["display"] == entry["display"]
        assert (got["state_bytes"], got["aad"], got["sealed"]) == (
            entry["state_bytes"],
            entry["aad"],
            entry["sealed"],
        )
        assert got["opened_token"] == entry["state"]["token"]
        assert got["opened_conversation"] == entry["state"]["conversation_id"]


def test_the_browser_catches_the_typos_of_the_vectors(browser_rc):
    caught = browser_rc.evaluate(
        """(invalid) => invalid.map((typed) => {
          try { window.rc.codeNormalise(typed); return null; }
          catch (error) { return error.name; }
        })""",
        V["invalid"],
    )
    assert caught == ["CodeInvalid"] * len(V["invalid"])


def test_the_browser_makes_the_vectors_codes_from_their_random_bytes(browser_rc):
    made = browser_rc.evaluate(
        """([generated, tooFew]) => {
          const { rc, enc } = window;
          const codes = generated.map((entry) => rc.codeFromRandom(enc.hexDecode(entry.random)));
          let refused = null;
          try { rc.codeFromRandom(enc.hexDecode(tooFew)); } catch (error) { refused = error.name; }
          return { codes, refused };
        }""",
        [V["generated"], V["too_few_random_bytes"]],
    )
    assert made == {"codes": [entry["code"] for entry in V["generated"]], "refused": "RangeError"}


def test_a_code_made_in_the_browser_opens_in_python(browser_rc):
    made = browser_rc.evaluate(
        """async (entry) => {
          const { rc, enc } = window;
          const code = rc.codeGenerate();
          const keys = await rc.codeKeys(code);
          const s = entry.state, bytes = enc.hexDecode;
          const sealed = await rc.stateSeal(keys, {
            conversationId: s.conversation_id, token: bytes(s.token),
            kemScalar: bytes(s.kem_scalar), kemPk: bytes(s.kem_pk),
            sigScalar: bytes(s.sig_scalar), sigPk: bytes(s.sig_pk),
          });
          return { code, lookup: enc.hexEncode(keys.lookup), sealed: enc.hexEncode(sealed) };
        }""",
        V["valid"][0],
    )
    keys = rc.code_keys(made["code"])
    assert keys.lookup.hex() == made["lookup"]
    state = rc.state_open(keys, bytes.fromhex(made["sealed"]))
    assert state.token.hex() == V["valid"][0]["state"]["token"]
