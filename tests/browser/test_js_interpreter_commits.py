"""Issue 6 in the browser clients' own code (chat/static/chat/protocol/state.js and
members.js), in Chromium: a commit that adds a device is used only when that device has
a certificate of role ``interpreter`` that verifies under the pinned admin key — a
device without one, a staff device, or a certificate signed by another admin key are
refused by the visitor's and by a staff device's state; an accepted ``member_add`` and
``member_remove`` read as "joined" / "left"; and the interpreter's wrap opens only the
epoch that lists it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CHECK = """
async () => {
  const c = await import("/static/chat/crypto/index.js");
  const { ConversationState } = await import("/static/chat/protocol/state.js");
  const { interpreterChanges } = await import("/static/chat/protocol/members.js");
  const now = Math.floor(Date.now() / 1000);
  const admin = await c.generateSigKeyPair();
  const otherAdmin = await c.generateSigKeyPair();
  const adminPk = await c.publicBytes(admin);
  const device = async (deviceId, role, signer = admin) => {
    const kem = await c.generateKemKeyPair();
    const sig = await c.generateSigKeyPair();
    const cert = await c.certSign({
      adminKey: signer.privateKey, deviceId, role, kemPk: await c.publicBytes(kem),
      sigPk: await c.publicBytes(sig), notAfter: now + 3600,
    });
    return { deviceId, kem, sig, cert };
  };
  const staff = await device("11111111-1111-4111-8111-111111111111", "staff");
  const iris = await device("22222222-2222-4222-8222-222222222222", "interpreter");
  const colleague = await device("33333333-3333-4333-8333-333333333333", "staff");
  const forged = await device("44444444-4444-4444-8444-444444444444", "interpreter", otherAdmin);
  const nobody = await device("55555555-5555-4555-8555-555555555555", "interpreter");
  const teamPair = await c.generateKemKeyPair();
  const team = await c.teamKeySign({
    adminKey: admin.privateKey, version: 1, pk: await c.publicBytes(teamPair),
    notAfter: now + 3600,
  });
  const conversationId = "0b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f";
  const visitorKem = await c.generateKemKeyPair();
  const visitorSig = await c.generateSigKeyPair();
  const visitorKemPk = await c.publicBytes(visitorKem);
  const visitorSigPk = await c.publicBytes(visitorSig);
  const stateOf = async (me, signKey, keys) => {
    const openKeys = new Map();
    for (const pair of keys) {
      openKeys.set(c.b64encode(await c.keyId(await c.publicBytes(pair))), pair);
    }
    return new ConversationState({
      conversationId, me, signKey, openKeys, adminPk, visitorSigPk,
      teamKeys: new Map([[1, team]]),
    });
  };
  const visitor = await stateOf("visitor", visitorSig.privateKey, [visitorKem]);
  const author = await stateOf(staff.deviceId, staff.sig.privateKey, [teamPair]);
  const reader = await stateOf(colleague.deviceId, colleague.sig.privateKey, [teamPair]);
  const interpreter = await stateOf(iris.deviceId, iris.sig.privateKey, [iris.kem]);
  const own = async (signed, pair) => {
    const id = c.b64encode(await c.keyId(await c.publicBytes(pair)));
    return signed.wraps.find((wrap) => c.b64encode(wrap.key_id) === id) ?? null;
  };

  const opened = await visitor.epochCreate({ reason: "open", team, visitorKemPk });
  for (const state of [author, reader]) {
    await state.commitAccept(opened.commit, opened.signature, await own(opened, teamPair));
  }
  // The certificates a client fetches (certs.get) for the devices a commit names; the
  // forged one does not verify, so it is not kept; nobody's was never fetched.
  const certsRefused = [];
  for (const d of [staff, iris, colleague, forged]) {
    for (const state of [visitor, reader]) {
      try { await state.certAdd(d.cert); } catch (error) { certsRefused.push(d.deviceId); }
    }
  }
  await interpreter.certAdd(staff.cert);
  await interpreter.certAdd(iris.cert);

  // A commit adding `member` (made by the staff author), tried by the visitor and a
  // colleague's state; the author forgets it again so the next one is epoch 1 too.
  const tryAdding = async (member) => {
    const signed = await author.epochCreate({
      reason: "member_add", team, visitorKemPk,
      interpreters: [
        { deviceId: member.deviceId, kemPk: member.cert.kem_pk, label: "interpreter:bg" },
      ],
    });
    author.epochDiscard(1, signed.commit);
    const results = {};
    const readers = [["visitor", visitor, visitorKem], ["staff", reader, teamPair]];
    for (const [name, state, pair] of readers) {
      try {
        await state.commitAccept(signed.commit, signed.signature, await own(signed, pair));
        results[name] = "accepted";
        state.epochDiscard(1, signed.commit);
      } catch (error) {
        results[name] = error.name;
      }
    }
    return results;
  };
  const refused = {
    staffDevice: await tryAdding(colleague),
    forgedCert: await tryAdding(forged),
    noCert: await tryAdding(nobody),
    interpreter: await tryAdding(iris),
  };
  // The real thing: add Iris (epoch 1), remove her (epoch 2).
  const added = await author.epochCreate({
    reason: "member_add", team, visitorKemPk,
    interpreters: [{ deviceId: iris.deviceId, kemPk: iris.cert.kem_pk, label: "interpreter:bg" }],
  });
  const removed = await author.epochCreate({ reason: "member_remove", team, visitorKemPk });
  await visitor.commitAccept(added.commit, added.signature, await own(added, visitorKem));
  await visitor.commitAccept(removed.commit, removed.signature, await own(removed, visitorKem));
  await interpreter.commitAccept(added.commit, added.signature, await own(added, iris.kem));
  let interpreterAfter;
  try {
    await interpreter.commitAccept(removed.commit, removed.signature, await own(removed, iris.kem));
    interpreterAfter = interpreter.secrets.has(2) ? "opened" : "no secret";
  } catch (error) {
    interpreterAfter = error.name;
  }
  return {
    certsRefused,
    refused,
    changes: [
      interpreterChanges(opened.commit, added.commit),
      interpreterChanges(added.commit, removed.commit),
      interpreterChanges(null, added.commit),
    ],
    interpreterEpochs: [...interpreter.secrets.keys()],
    interpreterAfter,
    wrapToIris: (await own(removed, iris.kem)) === null,
  };
}
"""


def test_commits_adding_devices_are_checked_by_the_browser_clients(page, helpline):
    page.goto(helpline.url + "/healthz")
    result = page.evaluate(CHECK)
    assert result["refused"]["interpreter"] == {"visitor": "accepted", "staff": "accepted"}
    assert result["certsRefused"] == ["44444444-4444-4444-8444-444444444444"] * 2
    for case in ("staffDevice", "forgedCert", "noCert"):
        assert result["refused"][case] == {"visitor": "BadObject", "staff": "BadObject"}, case
    iris = "22222222-2222-4222-8222-222222222222"
    assert result["changes"] == [
        [{"change": "joined", "deviceId": iris, "language": "bg"}],
        [{"change": "left", "deviceId": iris, "language": "bg"}],
        [{"change": "joined", "deviceId": iris, "language": "bg"}],
    ]
    assert result["interpreterEpochs"] == [1]
    assert result["interpreterAfter"] == "no secret"
    assert result["wrapToIris"] is True
