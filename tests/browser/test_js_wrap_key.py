"""The wrap-key signature (protocol.md §4.4) in both implementations: the browser
verifies what Python signed and refuses it for another device or key, and Python
verifies what the browser signed; the signed bytes are the same on both sides."""

from __future__ import annotations

import pytest

from chat.crypto import certs, suite1
from chat.crypto.encoding import b64decode, b64encode

pytestmark = pytest.mark.browser

DEVICE = "5b0f4c0e-8a11-4c3e-9d55-0d3c2f6a7b19"
OTHER_DEVICE = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00"

CHECK = """async ({ device, other, kemPk, sigPk, sig, otherKemPk }) => {
  const certs = await import("/static/chat/crypto/certs.js");
  const { b64decode, b64encode } = await import("/static/chat/crypto/encoding.js");
  const suite1 = await import("/static/chat/crypto/suite1.js");
  const outcome = async (args) => {
    try {
      await certs.wrapKeyVerify(args);
      return "ok";
    } catch (error) {
      return error.name;
    }
  };
  const base = {
    sigPk: b64decode(sigPk), deviceId: device, kemPk: b64decode(kemPk), sig: b64decode(sig),
  };
  const pair = await suite1.generateSigKeyPair({ extractable: false });
  const own = await suite1.generateKemKeyPair({ extractable: false });
  const ownKemPk = await suite1.publicBytes(own);
  const ownSig = await certs.wrapKeySign(pair.privateKey, { deviceId: device, kemPk: ownKemPk });
  return {
    tbs: b64encode(certs.wrapKeyTbs({ deviceId: device, kemPk: b64decode(kemPk) })),
    python_signed: await outcome(base),
    other_device: await outcome({ ...base, deviceId: other }),
    other_key: await outcome({ ...base, kemPk: b64decode(otherKemPk) }),
    js: {
      sigPk: b64encode(await suite1.publicBytes(pair)),
      kemPk: b64encode(ownKemPk),
      sig: b64encode(ownSig),
    },
  };
}"""


def test_wrap_key_signatures_agree_between_python_and_the_browser(page, helpline):
    page.goto(helpline.url + "/healthz")
    sig_key = suite1.private_key_generate()
    kem_pk = suite1.public_bytes(suite1.private_key_generate())
    signature = certs.wrap_key_sign(device_sig_key=sig_key, device_id=DEVICE, kem_pk=kem_pk)

    result = page.evaluate(
        CHECK,
        {
            "device": DEVICE,
            "other": OTHER_DEVICE,
            "kemPk": b64encode(kem_pk),
            "sigPk": b64encode(suite1.public_bytes(sig_key)),
            "sig": b64encode(signature),
            "otherKemPk": b64encode(suite1.public_bytes(suite1.private_key_generate())),
        },
    )

    assert b64decode(result["tbs"]) == certs.wrap_key_tbs(device_id=DEVICE, kem_pk=kem_pk)
    assert result["python_signed"] == "ok"
    assert result["other_device"] != "ok"
    assert result["other_key"] != "ok"
    js = result["js"]
    certs.wrap_key_verify(
        device_sig_pk=b64decode(js["sigPk"]),
        device_id=DEVICE,
        kem_pk=b64decode(js["kemPk"]),
        sig=b64decode(js["sig"]),
    )
