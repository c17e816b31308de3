"""The browser crypto (chat/static/chat/crypto/) against the shared known answers.

Every deterministic byte string of tests/fixtures/protocol_v1_vectors.json is recomputed
in Chromium and compared here byte for byte; every signature and wrap of the file is
verified and opened there; the RFC 9180 vectors of suite 1's KEM and KDF decrypt with
the vendored @hpke/core. Then the other direction: objects made in Chromium are verified
and opened by chat.crypto, and tampering with a bound field fails in the browser too.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from chat.crypto import certs, commits, messages, suite1
from chat.crypto.encoding import b64decode

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V = json.loads((FIXTURES / "protocol_v1_vectors.json").read_text(encoding="utf-8"))
RFC = json.loads((FIXTURES / "rfc9180_p256.json").read_text())["vectors"]

# Loads every crypto module into `window.m` (pages have no inline script: modules come in
# through import(), as in the widget).
LOAD = """async () => {
  const names = ["index", "encoding", "suite1", "certs", "commits", "messages"];
  const modules = await Promise.all(
    names.map((name) => import(`/static/chat/crypto/${name}.js`)),
  );
  window.m = Object.fromEntries(names.map((name, i) => [name, modules[i]]));
  window.m.wire = await import("/static/chat/protocol/wire.js");
  window.m.hpke = await import("/static/chat/vendor/hpke-core.js");
  window.m.hex = window.m.encoding.hexDecode;
}"""


@pytest.fixture
def crypto(page, helpline_origin):
    """A page of the helpline's origin with the crypto modules loaded."""
    page.goto(helpline_origin.url + "/healthz")
    page.evaluate(LOAD)
    return page


def wire(value: dict, type_: type) -> msgspec.Struct:
    """A JSON wire form as chat.crypto reads it (strict base64, unknown fields refused)."""
    return msgspec.json.decode(json.dumps(value), type=type_)


def key(name: str) -> suite1.PrivateKey:
    return suite1.private_key_from_scalar(bytes.fromhex(V["keys"][name]["sk"]))


def pk(name: str) -> bytes:
    return bytes.fromhex(V["keys"][name]["pk"])


def test_key_ids_and_admin_fingerprint_match_the_vectors(crypto):
    result = crypto.evaluate(
        """async (V) => {
          const { index, hex } = window.m;
          const out = {};
          for (const [name, entry] of Object.entries(V.keys)) {
            const pair = await index.importSigPrivate(hex(entry.sk), hex(entry.pk));
            out[name] = {
              pk: index.hexEncode(await index.publicBytes(pair)),
              key_id: index.hexEncode(await index.keyId(hex(entry.pk))),
            };
          }
          const fingerprint = await index.adminFingerprint(hex(V.keys.admin.pk));
          out.fingerprint = index.hexEncode(fingerprint);
          out.display = index.fingerprintDisplay(fingerprint);
          return out;
        }""",
        V,
    )
    for name, entry in V["keys"].items():
        assert result[name] == {"pk": entry["pk"], "key_id": entry["key_id"]}
    assert result["fingerprint"] == V["admin_fingerprint"]
    assert result["display"] == V["admin_fingerprint_display"]


@pytest.mark.parametrize("section", ["device_cert", "interpreter_cert"])
def test_certificates_match_and_verify(crypto, section):
    result = crypto.evaluate(
        """async ([V, section]) => {
          const { certs, wire, index, hex } = window.m;
          const cert = wire.fromWireForm(V[section].json);
          const tbs = certs.certTbs({
            deviceId: cert.device_id, role: cert.role, kemPk: cert.kem_pk,
            sigPk: cert.sig_pk, notAfter: cert.not_after,
          });
          const adminPk = hex(V.keys.admin.pk);
          await certs.certVerify(cert, { adminPk, now: cert.not_after - 1, role: cert.role });
          const refusals = [];
          for (const options of [
            { adminPk, now: cert.not_after },
            { adminPk, now: 0, role: cert.role === "staff" ? "interpreter" : "staff" },
            { adminPk: hex(V.keys.team.pk), now: 0 },
          ]) {
            try { await certs.certVerify(cert, options); refusals.push("accepted"); }
            catch (error) { refusals.push(error.name); }
          }
          return { tbs: index.hexEncode(tbs), refusals };
        }""",
        [V, section],
    )
    assert result["tbs"] == V[section]["tbs"]
    assert result["refusals"] == ["BadObject", "BadObject", "BadSignature"]


def test_team_key_announcement_and_wrap_match_and_open(crypto):
    result = crypto.evaluate(
        """async (V) => {
          const { certs, wire, index, suite1, hex } = window.m;
          const announcement = wire.fromWireForm(V.team_key.json);
          await certs.teamKeyVerify(announcement, { adminPk: hex(V.keys.admin.pk) });
          const tbs = certs.teamKeyTbs({
            version: announcement.version, pk: announcement.pk,
            notAfter: announcement.not_after,
          });
          const info = certs.teamWrapInfo({
            version: 1,
            teamKeyId: await index.keyId(hex(V.keys.team.pk)),
            deviceId: V.device_id,
            deviceKemKeyId: await index.keyId(hex(V.keys.device_kem.pk)),
          });
          const deviceKemPair = await index.importKemPrivate(
            hex(V.keys.device_kem.sk), hex(V.keys.device_kem.pk));
          const opened = await certs.teamWrapOpen(index.b64decode(V.team_key.wrap.ct), {
            deviceKemPair, deviceId: V.device_id, announcement,
          });
          // The pair opened from the wrap is the team's: it opens what is sealed to it.
          const sealed = await suite1.hpkeSeal(hex(V.keys.team.pk), hex("01"), hex("02"));
          const roundTrip = await suite1.hpkeOpen(opened.pair, hex("01"), sealed);
          return {
            tbs: index.hexEncode(tbs),
            info: index.hexEncode(info),
            scalar: index.hexEncode(opened.scalar),
            roundTrip: index.hexEncode(roundTrip),
            extractable: opened.pair.privateKey.extractable,
          };
        }""",
        V,
    )
    assert result["tbs"] == V["team_key"]["tbs"]
    assert result["info"] == V["team_key"]["wrap"]["info"]
    assert result["scalar"] == V["keys"]["team"]["sk"]
    assert result["roundTrip"] == "02"
    assert result["extractable"] is False


@pytest.mark.parametrize("index", [0, 1])
def test_commits_match_verify_and_open(crypto, index):
    result = crypto.evaluate(
        """async ([V, i]) => {
          const { commits, wire, index, hex } = window.m;
          const section = V.commits[i];
          const commit = wire.fromWireForm(section.json);
          commits.commitMembersCheck(commit);
          const wraps = section.wraps.map((w) => wire.fromWireForm({ key_id: w.key_id, ct: w.ct }));
          commits.commitWrapsCheck(commit, wraps);
          const author = commit.author === "visitor" ? "visitor_sig" : "device_sig";
          await commits.commitSignatureVerify(
            commit, index.b64decode(section.signature), hex(V.keys[author].pk));
          const secret = hex(section.epoch_secret);
          const commitment = await commits.keyCommitment(secret, {
            conversationId: commit.conversation_id, epoch: commit.epoch,
          });
          const keys = { team: "team", visitor: "visitor_kem", device: "interpreter_kem" };
          const digest = await commits.commitHash(commit);
          const opened = [];
          for (const [j, member] of commit.members.entries()) {
            const entry = V.keys[keys[member.kind]];
            const recipientPair = await index.importKemPrivate(hex(entry.sk), hex(entry.pk));
            const info = commits.wrapInfo({
              conversationId: commit.conversation_id, epoch: commit.epoch,
              keyId: member.key_id, commitHash: digest,
            });
            const epochSecret = await commits.commitOpen(commit, wraps[j], { recipientPair });
            opened.push({ info: index.hexEncode(info), secret: index.hexEncode(epochSecret) });
          }
          return {
            body: index.hexEncode(commits.commitBody(commit)),
            hash: index.hexEncode(digest),
            commitment: index.b64encode(commitment),
            opened,
          };
        }""",
        [V, index],
    )
    section = V["commits"][index]
    assert result["body"] == section["body"]
    assert result["hash"] == section["hash"]
    assert result["commitment"] == section["json"]["key_commitment"]
    assert [entry["info"] for entry in result["opened"]] == [w["info"] for w in section["wraps"]]
    assert {entry["secret"] for entry in result["opened"]} == {section["epoch_secret"]}


@pytest.mark.parametrize("index", range(len(V["messages"])))
def test_messages_match_byte_for_byte_and_open(crypto, index):
    result = crypto.evaluate(
        """async ([V, i]) => {
          const { messages, suite1, wire, index, hex } = window.m;
          const section = V.messages[i];
          const envelope = wire.fromWireForm(section.envelope);
          const epochSecret = hex(V.commits[0].epoch_secret);
          const commitHash = hex(V.commits[0].hash);
          const fields = {
            conversationId: envelope.conversation_id, epoch: envelope.epoch,
            sender: envelope.sender, stream: envelope.stream,
          };
          const { key, nonceBase } = await messages.messageKeys(epochSecret, fields);
          const nonce = messages.messageNonce(nonceBase, envelope.seq);
          const aad = messages.messageAad({
            ...fields, commitHash, seq: envelope.seq, contentType: envelope.content_type,
          });
          const padded = messages.pad(new TextEncoder().encode(section.content));
          const ct = await suite1.aeadEncrypt(key, nonce, padded, aad);
          const signer = envelope.sender === "visitor" ? "visitor_sig" : "device_sig";
          const content = await messages.messageOpen(envelope, {
            epochSecret, commitHash, senderSigPk: hex(V.keys[signer].pk),
          });
          // Sealing again with the same stream and seq gives the same ciphertext (the
          // signature differs: ECDSA is randomised) and a signature that verifies.
          const signerPair = await index.importSigPrivate(
            hex(V.keys[signer].sk), hex(V.keys[signer].pk));
          const resealed = await messages.messageSeal({
            ...fields, epochSecret, commitHash, seq: envelope.seq,
            contentType: envelope.content_type, content,
            senderSigKey: signerPair.privateKey,
          });
          await messages.messageOpen(resealed, {
            epochSecret, commitHash, senderSigPk: hex(V.keys[signer].pk),
          });
          const h = index.hexEncode;
          return {
            key: h(key), nonce_base: h(nonceBase), nonce: h(nonce), aad: h(aad),
            padded: h(padded), ct: h(ct), envelope_ct: h(envelope.ct),
            resealed_ct: h(resealed.ct),
            signature_input: h(messages.signatureInput(aad, envelope.ct)),
            content: new TextDecoder().decode(content),
          };
        }""",
        [V, index],
    )
    section = V["messages"][index]
    for name in ("key", "nonce_base", "nonce", "aad", "padded", "ct", "signature_input"):
        assert result[name] == section[name], name
    assert result["envelope_ct"] == result["resealed_ct"] == section["ct"]
    assert result["content"] == section["content"]


def test_the_objects_added_for_native_implementers_match_in_chromium(crypto):
    """The device fingerprint (as the setup page shows it), the device-auth input, the
    wrap key and a team key version sealed to it (opened by the KEM key the wrap names),
    staff notes, and nonces past 2^32."""
    result = crypto.evaluate(
        """async (V) => {
          const { certs, messages, index, encoding, hex } = window.m;
          const notes = await import("/static/chat/crypto/notes.js");
          const { teamWrapOpenWith } = await import("/static/chat/protocol/staff.js");
          const { deviceFingerprint } = await import("/static/ops/device.js");
          const h = index.hexEncode;
          const fingerprint = await deviceFingerprint(
            hex(V.keys.device_kem.pk), hex(V.keys.device_sig.pk));
          const both = encoding.concat(hex(V.keys.device_kem.pk), hex(V.keys.device_sig.pk));
          const auth = V.device_auth;
          const authInput = certs.deviceAuthMessage({
            nonce: hex(auth.nonce), deviceId: auth.device_id });
          await index.verify(hex(V.keys.device_sig.pk), authInput,
                             index.b64decode(auth.signature));
          const wrapKey = V.wrap_key;
          const kemPk = index.b64decode(wrapKey.kem_pk);
          await certs.wrapKeyVerify({ sigPk: hex(V.keys.device_sig.pk), deviceId: V.device_id,
                                      kemPk, sig: index.b64decode(wrapKey.signature) });
          const announcement = window.m.wire.fromWireForm(wrapKey.team_key_v2.json);
          await certs.teamKeyVerify(announcement, { adminPk: hex(V.keys.admin.pk) });
          const info = certs.teamWrapInfo({
            version: 2, teamKeyId: await index.keyId(announcement.pk), deviceId: V.device_id,
            deviceKemKeyId: await index.keyId(kemPk) });
          // The device holds its certificate's KEM key and the wrap key; the wrap names
          // which one opens it.
          const device = {
            deviceId: V.device_id,
            kemPair: await index.importKemPrivate(hex(V.keys.device_kem.sk),
                                                  hex(V.keys.device_kem.pk)),
            wrapKeys: [await index.importKemPrivate(hex(V.keys.device_wrap_kem.sk),
                                                    hex(V.keys.device_wrap_kem.pk))],
          };
          const wrap = window.m.wire.fromWireForm(wrapKey.team_key_v2.wrap.wire);
          const opened = await teamWrapOpenWith(device, wrap, announcement);
          let withoutIt = null;
          try {
            await teamWrapOpenWith({ ...device, wrapKeys: [] }, wrap, announcement);
          } catch (error) { withoutIt = error.name; }
          const teamPair = await index.importKemPrivate(hex(V.keys.team.sk), hex(V.keys.team.pk));
          const noted = [];
          for (const note of V.notes) {
            const fields = { conversationId: note.conversation_id,
                             teamKeyVersion: note.team_key_version };
            noted.push([h(notes.noteInfo(fields)), await notes.noteOpen(
              index.b64decode(note.note), { ...fields, teamPair })]);
          }
          return {
            fingerprint, fingerprintKeyId: h(await index.keyId(both)),
            authInput: h(authInput),
            wrapKeyTbs: h(certs.wrapKeyTbs({ deviceId: V.device_id, kemPk })),
            teamTbs: h(certs.teamKeyTbs({ version: 2, pk: announcement.pk,
                                          notAfter: announcement.not_after })),
            info: h(info), scalar: h(opened.scalar), withoutIt, noted,
            nonces: V.nonces.map((c) => h(messages.messageNonce(hex(c.nonce_base), c.seq))),
          };
        }""",
        V,
    )
    assert result["fingerprint"] == V["device_fingerprint"]["display"]
    assert result["fingerprintKeyId"] == V["device_fingerprint"]["key_id"]
    assert result["authInput"] == V["device_auth"]["input"]
    assert result["wrapKeyTbs"] == V["wrap_key"]["tbs"]
    assert result["teamTbs"] == V["wrap_key"]["team_key_v2"]["tbs"]
    assert result["info"] == V["wrap_key"]["team_key_v2"]["wrap"]["info"]
    assert result["scalar"] == V["keys"]["team_v2"]["sk"]
    assert result["withoutIt"] == "BadObject"
    assert result["noted"] == [[note["info"], note["text"]] for note in V["notes"]]
    assert result["nonces"] == [case["nonce"] for case in V["nonces"]]


def test_padding_buckets_match_the_vectors(crypto):
    lengths = crypto.evaluate(
        """async (cases) => {
          const { messages } = window.m;
          return cases.map(({ content_len }) => {
            const padded = messages.pad(new Uint8Array(content_len));
            return [padded.length, messages.unpad(padded).length];
          });
        }""",
        V["padding"],
    )
    assert lengths == [[case["padded_len"], case["content_len"]] for case in V["padding"]]


@pytest.mark.parametrize(
    "vector", [v for v in RFC if v["aead_id"] in (1, 2)], ids=lambda v: f"aead{v['aead_id']}"
)
def test_rfc9180_p256_vectors_decrypt_with_hpke_core(crypto, vector):
    plaintext = crypto.evaluate(
        """async (v) => {
          const { hpke, index, hex } = window.m;
          const suite = new hpke.CipherSuite({
            kem: new hpke.DhkemP256HkdfSha256(),
            kdf: new hpke.HkdfSha256(),
            aead: v.aead_id === 1 ? new hpke.Aes128Gcm() : new hpke.Aes256Gcm(),
          });
          const recipientKey = await index.importKemPrivate(hex(v.skRm), hex(v.pkRm));
          const encryption = v.encryptions[0];
          const pt = await suite.open(
            { recipientKey, enc: hex(v.enc).buffer, info: hex(v.info).buffer },
            hex(encryption.ct).buffer,
            hex(encryption.aad).buffer,
          );
          return index.hexEncode(new Uint8Array(pt));
        }""",
        vector,
    )
    assert plaintext == vector["encryptions"][0]["pt"]


# -- made in Chromium, checked by chat.crypto --------------------------------------------

MAKE_IN_BROWSER = """async (V) => {
  const { index, wire, hex } = window.m;
  const admin = await index.generateSigKeyPair();
  const adminPk = await index.publicBytes(admin);
  const deviceKem = await index.generateKemKeyPair();
  const deviceSig = await index.generateSigKeyPair();
  const cert = await index.certSign({
    adminKey: admin.privateKey, deviceId: V.device_id, role: "staff",
    kemPk: await index.publicBytes(deviceKem), sigPk: await index.publicBytes(deviceSig),
    notAfter: 1893456000,
  });
  // A team key made in the browser, announced, and wrapped to the vectors' device key
  // (whose private half the Python side holds).
  const team = await index.generateKemKeyPair({ extractable: true });
  const teamPk = await index.publicBytes(team);
  const teamScalar = await index.privateScalar(team.privateKey);
  const announcement = await index.teamKeySign({
    adminKey: admin.privateKey, version: 7, pk: teamPk, notAfter: 1893456000,
  });
  const teamWrap = await index.teamWrapSeal({
    teamScalar, teamPk, version: 7, deviceId: V.device_id,
    deviceKemPk: hex(V.keys.device_kem.pk),
  });
  // The visitor's epoch 0, wrapped to the vectors' team and visitor keys, then messages.
  const visitorSig = await index.generateSigKeyPair();
  const signed = await index.commitCreate({
    conversationId: V.conversation_id, epoch: 0, prevCommitHash: index.ZERO_HASH,
    author: "visitor", authorSigKey: visitorSig.privateKey, reason: "open",
    teamKeyVersion: 1,
    recipients: [
      { kind: "team", id: "1", kemPk: hex(V.keys.team.pk), label: "" },
      { kind: "visitor", id: "visitor", kemPk: hex(V.keys.visitor_kem.pk), label: "" },
      { kind: "device", id: V.interpreter_id, kemPk: hex(V.keys.interpreter_kem.pk),
        label: "interpreter:ro" },
    ],
    now: 1795000000,
  });
  const stream = index.randomBytes(index.STREAM_LEN);
  const texts = ["Bună ziua, am nevoie de ajutor.", "x".repeat(5000), "🙂"];
  const envelopes = [];
  for (const [seq, text] of texts.entries()) {
    envelopes.push(await index.messageSeal({
      epochSecret: signed.epochSecret, commitHash: signed.commitHash,
      conversationId: V.conversation_id, epoch: 0, sender: "visitor", stream, seq,
      contentType: "text", content: new TextEncoder().encode(text),
      senderSigKey: visitorSig.privateKey,
    }));
  }
  return wire.wireForm({
    admin_pk: adminPk, cert, team_scalar: teamScalar, announcement, team_wrap: teamWrap,
    commit: signed.commit, signature: signed.signature, wraps: signed.wraps,
    commit_hash: signed.commitHash, visitor_sig_pk: await index.publicBytes(visitorSig),
    envelopes, texts,
  });
}"""


def test_objects_made_in_chromium_verify_and_open_in_python(crypto):
    made = crypto.evaluate(MAKE_IN_BROWSER, V)
    admin_pk = b64decode(made["admin_pk"])

    cert = wire(made["cert"], certs.DeviceCert)
    certs.cert_verify(cert, admin_pk=admin_pk, now=cert.not_after - 1, role="staff")

    announcement = wire(made["announcement"], certs.TeamKeyAnnouncement)
    certs.team_key_verify(announcement, admin_pk=admin_pk)
    team_key = certs.team_wrap_open(
        b64decode(made["team_wrap"]),
        device_kem_key=key("device_kem"),
        device_id=V["device_id"],
        announcement=announcement,
    )
    assert suite1.private_scalar(team_key) == b64decode(made["team_scalar"])

    commit = wire(made["commit"], commits.Commit)
    wraps = [wire(w, commits.Wrap) for w in made["wraps"]]
    commits.commit_members_check(commit)
    commits.commit_wraps_check(commit, wraps)
    assert commits.commit_hash(commit) == b64decode(made["commit_hash"])
    visitor_sig_pk = b64decode(made["visitor_sig_pk"])
    commits.commit_signature_verify(commit, b64decode(made["signature"]), visitor_sig_pk)
    recipients = [key("team"), key("visitor_kem"), key("interpreter_kem")]
    secrets = {
        commits.commit_open(commit, wrap, recipient_key=recipient)
        for wrap, recipient in zip(wraps, recipients, strict=True)
    }
    assert len(secrets) == 1
    (epoch_secret,) = secrets

    for raw, text in zip(made["envelopes"], made["texts"], strict=True):
        envelope = wire(raw, messages.Envelope)
        content = messages.message_open(
            envelope,
            epoch_secret=epoch_secret,
            commit_hash=commits.commit_hash(commit),
            sender_sig_pk=visitor_sig_pk,
        )
        assert content.decode() == text


# -- tampering fails in the browser too --------------------------------------------------

TAMPER = """async (V) => {
  const { index, certs, commits, messages, suite1, wire, hex } = window.m;
  const outcome = async (action) => {
    try { await action(); return "accepted"; } catch (error) { return error.name; }
  };
  const adminPk = hex(V.keys.admin.pk);
  const cert = wire.fromWireForm(V.device_cert.json);
  const commit = wire.fromWireForm(V.commits[0].json);
  const signature = index.b64decode(V.commits[0].signature);
  const visitorSigPk = hex(V.keys.visitor_sig.pk);
  const teamPair = await index.importKemPrivate(hex(V.keys.team.sk), hex(V.keys.team.pk));
  const teamWrap = wire.fromWireForm({ key_id: V.commits[0].wraps[0].key_id,
                                       ct: V.commits[0].wraps[0].ct });
  const envelope = wire.fromWireForm(V.messages[0].envelope);
  const opening = {
    epochSecret: hex(V.commits[0].epoch_secret), commitHash: hex(V.commits[0].hash),
    senderSigPk: visitorSigPk,
  };
  const flipped = (bytes, i) => { const copy = bytes.slice(); copy[i] ^= 1; return copy; };
  const announcement = wire.fromWireForm(V.team_key.json);
  const deviceKemPair = await index.importKemPrivate(
    hex(V.keys.device_kem.sk), hex(V.keys.device_kem.pk));
  // A wrap of some other scalar, under the right info: it opens, but is not the team key.
  const otherScalar = hex(V.keys.visitor_kem.sk);
  const forgedTeamWrap = await suite1.hpkeSeal(
    hex(V.keys.device_kem.pk),
    certs.teamWrapInfo({
      version: 1, teamKeyId: await index.keyId(announcement.pk), deviceId: V.device_id,
      deviceKemKeyId: await index.keyId(hex(V.keys.device_kem.pk)),
    }),
    otherScalar,
  );
  // A commit whose key commitment is not of the secret wrapped under it (the wrap's
  // info is right for that commit, so the wrap opens and only the commitment catches it).
  const badCommitment = {
    commit: { ...commit, key_commitment: flipped(commit.key_commitment, 0) },
  };
  badCommitment.wrap = {
    key_id: teamWrap.key_id,
    ct: await suite1.hpkeSeal(hex(V.keys.team.pk), commits.wrapInfo({
      conversationId: commit.conversation_id, epoch: 0, keyId: teamWrap.key_id,
      commitHash: await commits.commitHash(badCommitment.commit),
    }), hex(V.commits[0].epoch_secret)),
  };
  return {
    cert_role: await outcome(() => certs.certVerify(
      { ...cert, role: "interpreter" }, { adminPk, now: 0 })),
    cert_not_after: await outcome(() => certs.certVerify(
      { ...cert, not_after: cert.not_after + 1 }, { adminPk, now: 0 })),
    cert_device_id: await outcome(() => certs.certVerify(
      { ...cert, device_id: V.interpreter_id }, { adminPk, now: 0 })),
    team_key_version: await outcome(() => certs.teamKeyVerify(
      { ...announcement, version: 2 }, { adminPk })),
    team_wrap_other_device: await outcome(() => certs.teamWrapOpen(
      index.b64decode(V.team_key.wrap.ct),
      { deviceKemPair, deviceId: V.interpreter_id, announcement })),
    team_wrap_other_scalar: await outcome(() => certs.teamWrapOpen(
      forgedTeamWrap, { deviceKemPair, deviceId: V.device_id, announcement })),
    commit_created_at: await outcome(() => commits.commitSignatureVerify(
      { ...commit, created_at: commit.created_at + 1 }, signature, visitorSigPk)),
    commit_signature_63_bytes: await outcome(() => commits.commitSignatureVerify(
      commit, signature.slice(0, 63), visitorSigPk)),
    commit_members_two_visitors: await outcome(async () => commits.commitMembersCheck(
      { ...commit, members: [commit.members[1], commit.members[1]] })),
    // Issue 15, item 9: the team member's label is "" (§5.3), no label holds NUL (§2.1).
    commit_team_label: await outcome(async () => commits.commitMembersCheck(
      { ...commit, members: [{ ...commit.members[0], label: "Police" }, commit.members[1]] })),
    commit_label_nul: await outcome(async () => commits.commitMembersCheck(
      { ...commit, members: [{ ...commit.members[0], label: "\u0000" }, commit.members[1]] })),
    str_nul: await outcome(async () => window.m.encoding.lps("a\u0000b")),
    wrap_under_other_epoch: await outcome(() => commits.commitOpen(
      { ...commit, epoch: 1 }, teamWrap, { recipientPair: teamPair })),
    wrap_ct: await outcome(() => commits.commitOpen(
      commit, { ...teamWrap, ct: flipped(teamWrap.ct, 80) }, { recipientPair: teamPair })),
    key_commitment: await outcome(() => commits.commitOpen(
      badCommitment.commit, badCommitment.wrap, { recipientPair: teamPair })),
    envelope_seq: await outcome(() => messages.messageOpen(
      { ...envelope, seq: 7 }, opening)),
    envelope_content_type: await outcome(() => messages.messageOpen(
      { ...envelope, content_type: "event" }, opening)),
    envelope_ct: await outcome(() => messages.messageOpen(
      { ...envelope, ct: flipped(envelope.ct, 3) }, opening)),
    envelope_other_commit: await outcome(() => messages.messageOpen(
      envelope, { ...opening, commitHash: hex(V.commits[1].hash) })),
    envelope_wrong_secret: await outcome(() => messages.messageOpen(
      envelope, { ...opening, epochSecret: hex(V.commits[1].epoch_secret) })),
    unpad_dirty: await outcome(async () => messages.unpad(
      flipped(messages.pad(new Uint8Array(3)), 200))),
    base64: ["QUJD", "QUI=", "QUI", "QU JD", "QUJD\\n", "-_8=", "QUJ=D", ""].map((text) => {
      try { index.b64decode(text); return "ok"; } catch (error) { return error.name; }
    }),
  };
}"""


def test_tampering_with_a_bound_field_fails_in_the_browser(crypto):
    result = crypto.evaluate(TAMPER, V)
    base64 = result.pop("base64")
    assert result == {
        "cert_role": "BadSignature",
        "cert_not_after": "BadSignature",
        "cert_device_id": "BadSignature",
        "team_key_version": "BadSignature",
        "team_wrap_other_device": "BadCiphertext",
        "team_wrap_other_scalar": "BadObject",
        "commit_created_at": "BadSignature",
        "commit_signature_63_bytes": "BadSignature",
        "commit_members_two_visitors": "BadObject",
        "commit_team_label": "BadObject",
        "commit_label_nul": "BadObject",
        "str_nul": "BadObject",
        "wrap_under_other_epoch": "BadCiphertext",
        "wrap_ct": "BadCiphertext",
        "key_commitment": "BadObject",
        "envelope_seq": "BadSignature",
        "envelope_content_type": "BadSignature",
        "envelope_ct": "BadSignature",
        "envelope_other_commit": "BadSignature",
        "envelope_wrong_secret": "BadCiphertext",
        "unpad_dirty": "BadObject",
    }
    assert base64 == ["ok", "ok", "BadObject", "BadObject", "BadObject", "BadObject"] + [
        "BadObject",
        "ok",
    ]
