"""Issue 15: a new conversation costs a proof of work (chat/open_challenge.py,
docs/protocol.md §8.3.1), whose price rises with the rate of opens — and nobody is refused
for what others did. Against the ASGI app, on the in-memory store (the live flood test,
tests/integration/test_hostile_visitors_live.py, runs it on Redis and two workers)."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from django.utils import timezone

from chat import open_challenge
from chat.client.open_pow import pow_solve
from chat.protocol import frames as f
from tests.chat.conftest import visitor_keys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    monkeypatch.setattr(open_challenge, "memory_store", open_challenge.MemoryStore())
    open_challenge.difficulty.read_at = float("-inf")
    yield
    open_challenge.difficulty.read_at = float("-inf")


def open_frame(pow_: f.OpenPow | None) -> f.ConversationOpen:
    visitor = visitor_keys()
    return f.ConversationOpen(
        suite=1,
        language="ro",
        campaign=None,
        visitor_kem_pk=visitor.kem_public,
        visitor_sig_pk=visitor.sig_public,
        pow=pow_,
    )


async def test_a_visitor_socket_is_given_a_challenge_after_hello(sockets):
    socket = await sockets.visitor()
    frame = await socket.receive_any()
    assert isinstance(frame, f.OpenChallenge)
    assert frame.algorithm == "SHA-256" and frame.max_number == 1_000


async def test_an_open_without_a_solution_is_refused_with_a_fresh_challenge(sockets, helpline):
    socket = await sockets.visitor()
    first = await socket.receive_any()
    error = await socket.refused(open_frame(None), "pow_required")
    assert error.ref is not None
    assert socket.open_challenge is not None and socket.open_challenge != first
    # And with the fresh one solved, the same socket opens.
    opened = await socket.request(open_frame(await socket.pow()))
    assert isinstance(opened, f.ConversationOpened)


async def test_a_wrong_number_a_forged_challenge_or_an_expired_one_is_refused(
    sockets, helpline, settings
):
    socket = await sockets.visitor()
    good = await socket.pow()
    wrong = msgspec.structs.replace(good, number=good.number + 1)
    # A challenge the client made up (an easy number) is not signed by the server.
    forged = open_challenge.challenge_make(max_number=1, now=timezone.now())
    forged = msgspec.structs.replace(forged, hmac="0" * 64)
    stale = open_challenge.challenge_make(
        max_number=10,
        now=timezone.now() - timedelta(seconds=settings.CHAT_OPEN_CHALLENGE_SECONDS + 5),
    )
    for solution in (wrong, pow_solve(forged), pow_solve(stale)):
        await socket.refused(open_frame(solution), "pow_required")
    assert isinstance(await socket.request(open_frame(good)), f.ConversationOpened)


async def test_a_solution_opens_once(sockets, helpline):
    first = await sockets.visitor()
    solution = await first.pow()
    assert isinstance(await first.request(open_frame(solution)), f.ConversationOpened)
    second = await sockets.visitor()
    await second.refused(open_frame(solution), "pow_required")


async def test_the_price_doubles_with_each_minutes_worth_of_opens_up_to_its_ceiling(settings):
    settings.CHAT_OPENS_PER_MINUTE = 10
    settings.CHAT_OPEN_POW_NUMBER = 1_000
    settings.CHAT_OPEN_POW_NUMBER_MAX = 16_000
    prices = [open_challenge.difficulty_for(opens) for opens in (0, 10, 11, 21, 31, 41, 500)]
    assert prices == [1_000, 1_000, 2_000, 4_000, 8_000, 16_000, 16_000]


async def test_opens_raise_the_price_of_the_next_challenges(sockets, helpline, settings):
    settings.CHAT_OPENS_PER_MINUTE = 2
    settings.CHAT_OPEN_POW_NUMBER = 500
    settings.CHAT_OPEN_POW_NUMBER_MAX = 64_000
    for _ in range(5):
        await sockets.visitor_opened()
    open_challenge.difficulty.read_at = float("-inf")  # past its one-second cache
    socket = await sockets.visitor()
    frame = await socket.receive_any()
    assert frame.max_number == 500 * 2**2  # 5 opens: two minutes' worth past the first


async def test_a_flood_of_unpaid_opens_keeps_nobody_out(sockets, helpline):
    """What broke (2 genuine visitors in 27 let in): a shared budget a flood spends. Here
    a flood that does not pay is refused, and a visitor who pays opens at once."""
    flood = await sockets.visitor()
    for _ in range(30):
        await flood.refused(open_frame(None), "pow_required")
    visitor = await sockets.visitor()
    opened = await visitor.request(open_frame(await visitor.pow()))
    assert isinstance(opened, f.ConversationOpened)


def test_a_solution_is_what_altcha_verifies():
    challenge = open_challenge.challenge_make(max_number=5_000, now=timezone.now())
    solution = pow_solve(challenge)
    assert open_challenge.solution_valid(solution)
