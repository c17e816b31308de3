"""Claims on the live stack (two Daphne workers, PostgreSQL, Redis): two staff members,
each signed in and posting to a different worker at the same instant, claim the same
waiting conversation — exactly one gets 200, the other 409, every time. And routing news
(`staff.event`) reaches a staff socket on the other worker through Redis."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from bench.livestack import BASE_DIR, LiveStack
from chat.client import DeviceKeys, StaffClient, VisitorClient
from chat.client.http import staff_login
from tests.staff_sign_in import authenticators_set, totp_secret_for

pytestmark = pytest.mark.integration

ROUNDS = 20
EVENT_TIMEOUT_SECONDS = 20
DEMO_SHIFT = "Permanence de démonstration"  # ops/demo.py: open whenever the demo is seeded


@dataclass
class StaffHttp:
    """A signed-in staff browser speaking to one worker's JSON API."""

    base_url: str
    cookie: str

    @property
    def csrf_token(self) -> str:
        cookies = dict(part.split("=", 1) for part in self.cookie.split("; "))
        return cookies["csrftoken"]

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            self.base_url + "/staff/api" + path,
            data=data,
            method=method,
            headers={
                "Cookie": self.cookie,
                "X-CSRFToken": self.csrf_token,
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def staff_account_add(stack: LiveStack, username: str, password: str) -> None:
    """`manage.py staff_add`, the way an operator creates an account."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "staff_add",
            username,
            "--label",
            "Infirmière",
            "--password-stdin",
        ],
        cwd=BASE_DIR,
        env=stack.env,
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def two_staff(live_stack: LiveStack, demo: dict) -> tuple[StaffHttp, StaffHttp]:
    """The demo coordinator signed in on worker 0; a nurse, put on the shift open now by
    the coordinator through the rota API, signed in on worker 1."""
    first_url, second_url = live_stack.urls
    coordinator = StaffHttp(
        first_url, staff_login(first_url, demo["username"], demo["password"], demo["totp_secret"])
    )
    password = secrets.token_urlsafe(16)
    staff_account_add(live_stack, "nurse-live", password)
    authenticators_set(live_stack.env, ["nurse-live"])
    nurse = StaffHttp(
        second_url, staff_login(second_url, "nurse-live", password, totp_secret_for("nurse-live"))
    )
    nurse_id = live_stack.sql("SELECT id FROM auth_user WHERE username = 'nurse-live'")[0][0]
    status, body = coordinator.call("GET", "/rota/shifts")
    assert status == 200, body
    (shift,) = [entry for entry in body["shifts"] if entry["label"] == DEMO_SHIFT]
    status, body = coordinator.call(
        "PATCH", f"/rota/shifts/{shift['id']}", {"staff": [*shift["staff"], nurse_id]}
    )
    assert status == 200, body
    return coordinator, nurse


def claim_race(first: StaffHttp, second: StaffHttp, conversation_id: str) -> list[tuple[int, dict]]:
    """Both post the claim at the same instant, from two threads, to their own worker."""
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def claim(index: int, staff: StaffHttp) -> None:
        barrier.wait()
        answers[index] = staff.call("POST", f"/routes/{conversation_id}/claim")

    threads = [threading.Thread(target=claim, args=(i, s)) for i, s in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


async def visitor_arrives(live_stack: LiveStack, demo: dict, admin_fingerprint: bytes, url: str):
    visitor = VisitorClient([url], admin_fingerprint=admin_fingerprint, campaign=demo["campaign"])
    await visitor.start()
    await visitor.say("bonjour")  # issue 15: the first message puts it in the queue
    return visitor


async def test_two_staff_on_two_workers_claim_at_once_and_exactly_one_wins(
    live_stack, demo, admin_fingerprint, two_staff
):
    coordinator, nurse = two_staff
    for round_number in range(ROUNDS):
        visitor = await visitor_arrives(
            live_stack, demo, admin_fingerprint, live_stack.urls[round_number % 2]
        )
        try:
            answers = await asyncio.to_thread(
                claim_race, coordinator, nurse, visitor.conversation_id
            )
        finally:
            await visitor.stop()
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 409], answers
        ((_, lost),) = [answer for answer in answers if answer[0] == 409]
        assert lost["error"] == "already_claimed"
        winner = coordinator if answers[0][0] == 200 else nurse
        rows = live_stack.sql(
            "SELECT state, assigned_to_id FROM ops_route WHERE conversation_id = %s",
            [visitor.conversation_id],
        )
        assert rows[0][0] == "assigned"
        # The winner is done with it: room for the next round's claim.
        status, body = winner.call("POST", f"/routes/{visitor.conversation_id}/close")
        assert (status, body["route"]["state"]) == (200, "closed")


async def test_a_new_conversation_reaches_a_staff_socket_on_the_other_worker(
    live_stack, demo, admin_fingerprint, staff_device_path
):
    first_url, second_url = live_stack.urls
    staff = StaffClient.login(
        [second_url],
        username=demo["username"],
        password=demo["password"],
        totp_secret=demo["totp_secret"],
        device=DeviceKeys.load(staff_device_path),
        admin_fingerprint=admin_fingerprint,
    )
    await staff.start()
    try:
        visitor = await visitor_arrives(live_stack, demo, admin_fingerprint, first_url)
        try:
            # The demo's shift is open now and the demo's dashboard is connected.
            status = await status_of(visitor)
            assert (status.open, status.someone_here, status.next_opening) == (True, True, None)
            event = await queue_event_for(staff, visitor.conversation_id)
            assert event.data["state"] == "waiting"
            assert event.data["language"] == "fr"
        finally:
            await visitor.stop()
    finally:
        await staff.stop()


async def queue_event_for(staff: StaffClient, conversation_id: str):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENT_TIMEOUT_SECONDS
    while loop.time() < deadline:
        for event in staff.staff_events:
            if event.event == "queue.changed" and event.data["conversation_id"] == conversation_id:
                return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"no queue.changed for {conversation_id}: {staff.staff_events}")


async def status_of(visitor: VisitorClient):
    """The `helpline.status` the visitor's client got right after `hello`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENT_TIMEOUT_SECONDS
    while visitor.helpline_status is None:
        if loop.time() > deadline:
            raise AssertionError("no helpline.status after hello")
        await asyncio.sleep(0.05)
    return visitor.helpline_status
