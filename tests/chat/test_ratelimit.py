"""The per-connection token bucket (chat/ratelimit.py), on a clock the test turns."""

from __future__ import annotations

import pytest

from chat.ratelimit import RefusalWindow, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_fresh_bucket_allows_a_full_burst_then_refuses(clock):
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    assert all(bucket.take() for _ in range(60))
    assert not bucket.take()


def test_tokens_come_back_at_the_rate(clock):
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    for _ in range(60):
        bucket.take()
    clock.advance(0.049)
    assert not bucket.take()
    clock.advance(0.002)
    assert bucket.take()
    assert not bucket.take()
    clock.advance(1)
    assert sum(bucket.take() for _ in range(100)) == 20


def test_an_idle_bucket_never_holds_more_than_the_burst(clock):
    bucket = TokenBucket(rate=20, burst=5, clock=clock)
    clock.advance(3600)
    assert sum(bucket.take() for _ in range(100)) == 5


def test_a_refused_take_costs_nothing(clock):
    bucket = TokenBucket(rate=1, burst=1, clock=clock)
    assert bucket.take()
    for _ in range(50):
        assert not bucket.take()
    clock.advance(1)
    assert bucket.take()


def test_retry_after_says_when_the_next_token_arrives(clock):
    bucket = TokenBucket(rate=4, burst=1, clock=clock)
    bucket.take()
    assert bucket.retry_after_ms() == 250
    clock.advance(0.125)
    bucket.take()  # refused, but it brings the bucket up to date
    assert bucket.retry_after_ms() == 125


def test_retry_after_is_at_least_one_millisecond(clock):
    bucket = TokenBucket(rate=1000, burst=1, clock=clock)
    bucket.take()
    clock.advance(0.0009999)
    bucket.take()
    assert bucket.retry_after_ms() >= 1


def test_a_clock_going_backwards_grants_nothing(clock):
    # time.monotonic never does, but a bucket must not mint tokens if a clock did.
    bucket = TokenBucket(rate=10, burst=2, clock=clock)
    bucket.take()
    bucket.take()
    clock.advance(-100)
    assert not bucket.take()


# -- the flood close: refusals over a window (RefusalWindow) ----------------------------


def window(clock) -> RefusalWindow:
    return RefusalWindow(window=10, minimum=100, percent=50, clock=clock)


def test_a_hundred_refusals_in_a_row_are_a_flood(clock):
    refusals = window(clock)
    for _ in range(99):
        refusals.record(refused=True)
    assert not refusals.flooding()
    refusals.record(refused=True)
    assert refusals.flooding()


def test_a_frame_let_through_now_and_then_does_not_hide_a_flood(clock):
    """The old count of refusals in a row started again at each accepted frame: ten
    refused for one accepted, at 200 frames a second, never reached it."""
    refusals = window(clock)
    for _ in range(15):
        for _ in range(10):
            refusals.record(refused=True)
        refusals.record(refused=False)
        clock.advance(0.05)
    assert refusals.flooding()


def test_refusals_among_mostly_accepted_frames_are_no_flood(clock):
    refusals = window(clock)
    for _ in range(150):
        refusals.record(refused=True)
        refusals.record(refused=False)
        refusals.record(refused=False)
    assert not refusals.flooding()


def test_a_frame_its_handler_refused_counts_once(clock):
    """Counted as accepted when queued, then refused by its handler: one frame, refused."""
    refusals = window(clock)
    for _ in range(100):
        refusals.record(refused=False)
        refusals.record(refused=True, counted=True)
    assert refusals.flooding()  # 100 frames, all refused
    assert refusals.slots[int(clock())] == [100, 100]


def test_refusals_older_than_the_window_are_forgotten(clock):
    refusals = window(clock)
    for _ in range(80):
        refusals.record(refused=True)
    clock.advance(11)
    for _ in range(80):
        refusals.record(refused=True)
    assert not refusals.flooding()
    assert len(refusals.slots) == 1
