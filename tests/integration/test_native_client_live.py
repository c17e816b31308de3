"""A client written from docs/protocol.md and the JSON Schema alone (tests/native_client.py,
which imports nothing from chat/) against a live helpline of two Daphne workers, Redis
and PostgreSQL: a staff member signs in with both factors, enrols a device, the
coordinator certifies it and gives it the team key, the device reads and answers a
visitor (the Python reference client: two implementations talking), the coordinator
rotates the team key to the wrap key the device published, and the device moves the
conversation to it with a `rekey` epoch and keeps reading — switching workers between
the two halves. Every frame it receives is checked against the schema.

The stack is its own (the rotation would leave the shared one's demo device without the
current team key). Run with ``-s`` to see the transcript."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator

import pytest

from bench.livestack import LiveStack
from chat.client import VisitorClient
from tests.integration.conftest import LIVESTACK_ENV
from tests.integration.test_claims_live import staff_account_add
from tests.native_client import (
    Coordinator,
    Device,
    Http,
    ProtocolViolation,
    StaffApp,
    b64d,
    key_from_scalar,
    public,
)
from tests.staff_sign_in import authenticators_set, totp_secret_for

pytestmark = pytest.mark.integration

NURSE = "nurse-native"
WAIT = 60


@pytest.fixture(scope="module")
def native_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    stack = LiveStack(tmp_path_factory.mktemp("native"), servers=2, extra_env=LIVESTACK_ENV)
    stack.up()
    try:
        yield stack
    finally:
        stack.close()


def say(step: str) -> None:
    print(f"[native client] {step}", flush=True)


def demo_coordinator(stack: LiveStack) -> Coordinator:
    """The demo account (a coordinator) with the keys demo_seed left in its key files
    (docs/operations.md: hex scalars)."""
    demo = stack.demo
    http = Http(stack.urls[0])
    http.sign_in(demo["username"], demo["password"], demo["totp_secret"])
    admin = json.loads((stack.demo_dir / "admin.key.json").read_text())
    own = json.loads(stack.staff_device_path.read_text())
    device = Device.from_scalars(
        device_id=own["device_id"], kem=own["kem"], sig=own["sig"], wrap_keys=own["wrap_keys"]
    )
    return Coordinator(
        http=http, admin=key_from_scalar(bytes.fromhex(admin["sig"])), own_device=device
    )


async def test_a_client_written_from_the_document_works_on_two_live_workers(native_stack):
    stack = native_stack
    first, second = stack.urls
    pin = bytes.fromhex(stack.demo["fingerprint"])

    # -- sign-in with both factors, enrolment, certification -----------------------------
    password = secrets.token_urlsafe(16)
    staff_account_add(stack, NURSE, password)
    authenticators_set(stack.env, [NURSE])
    nurse = Http(second)
    signed_in = nurse.sign_in(NURSE, password, totp_secret_for(NURSE))
    assert signed_in["signed_in"] and signed_in["user"]["username"] == NURSE
    say(f"signed in as {NURSE} on worker {stack.worker_of(second)} (password + TOTP code)")

    device = Device.new()
    view = device.register(nurse, "native test client")
    assert view["state"] == "pending" and view["team_keys"][0]["wrap"] is None
    say(f"enrolled device {device.device_id}, fingerprint {device.fingerprint()}: pending")

    coordinator = demo_coordinator(stack)
    coordinator.certify(device.device_id, fingerprint_on_its_screen=device.fingerprint())
    version = coordinator.team_key_give(device.device_id)
    say(f"the coordinator compared the fingerprint, certified it, gave it team key v{version}")

    view = nurse.ok("GET", f"/staff/api/devices/{device.device_id}")
    assert view["state"] == "certified"
    [entry] = view["team_keys"]
    assert b64d(entry["wrap"]["kem_pk"]) == public(device.kem)  # the certificate's KEM key
    say("the device view says certified, with a team wrap naming the certificate's KEM key")

    # -- read and answer a visitor, on the other worker -----------------------------------
    visitor = VisitorClient([first], admin_fingerprint=pin, campaign=stack.demo["campaign"])
    await visitor.start()
    await visitor.send_text(visitor.conversation_id, "Bonjour, vous êtes là ?")
    app = StaffApp(nurse, device, pin=pin)
    ready = await app.connect(first)
    assert [e["announcement"]["version"] for e in ready["team_keys"]] == [version]
    listed = await app.list_conversations()
    assert visitor.conversation_id in [c["conversation_id"] for c in listed]
    state = await app.subscribe(visitor.conversation_id)
    await app.until(lambda: any(m.text == "Bonjour, vous êtes là ?" for m in app.messages), WAIT)
    say(
        f"device.auth on worker {stack.worker_of(first)}; subscribed to "
        f"{visitor.conversation_id} (last order {state['last_order']}); read the visitor"
    )
    await app.send_text(visitor.conversation_id, "Oui, je suis infirmière. Je vous écoute.")
    answer = await visitor.receive(WAIT)
    assert answer.text == "Oui, je suis infirmière. Je vous écoute."
    say("answered; the reference visitor client decrypted and verified the answer")

    # -- a new team key version, sealed to the device's wrap key -------------------------
    device.wrap_key_publish(nurse)
    rotated = coordinator.team_key_rotate([device.device_id])
    say(f"published a wrap key; the coordinator made team key v{rotated}, wrapped to it")

    ready = await app.connect(second)  # another worker: device.ready has the new version
    versions = {e["announcement"]["version"]: e["wrap"] for e in ready["team_keys"]}
    assert b64d(versions[rotated]["kem_pk"]) == public(device.wrap_keys[0]) != public(device.kem)
    assert rotated in app.team
    # The wrap cannot be opened with the certificate's KEM key: it names another one.
    with pytest.raises(ProtocolViolation):
        Device(kem=device.kem, sig=device.sig, device_id=device.device_id).kem_key_for(
            b64d(versions[rotated]["kem_pk"])
        )
    await app.until(lambda: app.followed[visitor.conversation_id].last_order >= 3, WAIT)
    order = await app.rekey(visitor.conversation_id)
    say(
        f"reconnected on worker {stack.worker_of(second)}; opened v{rotated} with the wrap key "
        f"it names; moved the conversation to it (rekey epoch, order {order})"
    )

    followed = visitor.conversations[visitor.conversation_id]

    async def visitor_in_epoch_one() -> None:
        while followed.state.current_epoch < 1:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(visitor_in_epoch_one(), WAIT)
    await visitor.send_text(visitor.conversation_id, "Merci. J'ai une autre question.")
    await app.until(
        lambda: any(m.text == "Merci. J'ai une autre question." for m in app.messages), WAIT
    )
    [later] = [m for m in app.messages if m.text == "Merci. J'ai une autre question."]
    assert later.epoch == 1
    await app.send_text(visitor.conversation_id, "Allez-y.")
    assert (await visitor.receive(WAIT)).text == "Allez-y."
    say("after the rotation: read the visitor's message of epoch 1 and answered it")

    listed = {c["conversation_id"]: c for c in await app.list_conversations()}
    assert listed[visitor.conversation_id]["current_epoch"] == 1
    await app.close()
    await visitor.stop()
    assert app.outside_schema == [], app.outside_schema
    assert visitor.failures == [], visitor.failures
    say(
        f"every frame it received followed docs/protocol-v1.schema.json; {len(app.messages)} "
        "messages read, all verified"
    )
