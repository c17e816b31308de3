from __future__ import annotations

import logging
import sys
import threading
import types
from collections import Counter

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings

from chat.jobs import Job, jobs_load, jobs_run_forever, jobs_run_once

# Jobs run between connection checks, which need the database even when the job does not.
pytestmark = pytest.mark.django_db


class FakeTime(threading.Event):
    """A monotonic clock and a stop event in one: waiting moves the clock, not the test.

    The loop stops once the clock has passed `until`.
    """

    def __init__(self, until: float) -> None:
        super().__init__()
        self.now = 0.0
        self.until = until

    def clock(self) -> float:
        return self.now

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None, "the loop must never wait without a deadline here"
        self.now += timeout
        if self.now > self.until:
            self.set()
        return self.is_set()


@pytest.fixture
def runs() -> Counter[str]:
    return Counter()


@pytest.fixture
def job_module(monkeypatch: pytest.MonkeyPatch, runs: Counter[str]) -> str:
    """A module of jobs that settings.PERIODIC_JOBS can name by dotted path."""
    module = types.ModuleType("helpline_test_jobs")

    def counting() -> None:
        runs["counting"] += 1

    def failing() -> None:
        runs["failing"] += 1
        raise RuntimeError("the job broke")

    module.counting = counting  # type: ignore[attr-defined]
    module.failing = failing  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__name__


def test_each_job_runs_at_its_own_interval(runs: Counter[str]) -> None:
    time = FakeTime(until=600)
    jobs = [
        Job(name="every_minute", function=lambda: runs.update(["every_minute"]), interval=60),
        Job(name="every_5_min", function=lambda: runs.update(["every_5_min"]), interval=300),
    ]
    jobs_run_forever(time, jobs, clock=time.clock)
    # At 0, 60, ..., 600 and at 0, 300, 600.
    assert runs == {"every_minute": 11, "every_5_min": 3}


def test_a_failing_job_does_not_stop_the_loop_or_the_other_jobs(
    runs: Counter[str], caplog: pytest.LogCaptureFixture
) -> None:
    def failing() -> None:
        runs["failing"] += 1
        raise RuntimeError("the job broke")

    time = FakeTime(until=180)
    jobs = [
        Job(name="failing", function=failing, interval=60),
        Job(name="counting", function=lambda: runs.update(["counting"]), interval=60),
    ]
    with caplog.at_level(logging.ERROR, logger="chat.jobs"):
        jobs_run_forever(time, jobs, clock=time.clock)
    assert runs == {"failing": 4, "counting": 4}
    assert "Job failing failed: RuntimeError: the job broke" in caplog.text
    # The type and message only: no traceback, which could show a job's local variables.
    assert "Traceback" not in caplog.text


def test_the_next_run_is_one_interval_after_a_slow_run_ends(runs: Counter[str]) -> None:
    time = FakeTime(until=100)
    started: list[float] = []

    def slow() -> None:
        started.append(time.now)
        time.now += 45

    jobs_run_forever(time, [Job(name="slow", function=slow, interval=30)], clock=time.clock)
    assert started == [0, 75]


def test_setting_the_stop_event_stops_the_loop_promptly(runs: Counter[str]) -> None:
    stop = threading.Event()
    first_run = threading.Event()
    jobs = [Job(name="hourly", function=first_run.set, interval=3600)]
    thread = threading.Thread(target=jobs_run_forever, args=(stop, jobs), daemon=True)
    thread.start()
    assert first_run.wait(10)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_jobs_are_imported_from_settings_when_they_run(job_module: str) -> None:
    with override_settings(PERIODIC_JOBS=[(f"{job_module}.counting", 60)]):
        jobs = jobs_load()
    assert [(job.name, job.interval) for job in jobs] == [(f"{job_module}.counting", 60)]


def test_it_refuses_a_job_that_cannot_be_imported_or_has_no_interval() -> None:
    with (
        override_settings(PERIODIC_JOBS=[("chat.no_such_module.job", 60)]),
        pytest.raises(ImproperlyConfigured, match="cannot import"),
    ):
        jobs_load()
    with (
        override_settings(PERIODIC_JOBS=[("chat.jobs.jobs_load", 0)]),
        pytest.raises(ImproperlyConfigured, match="positive interval"),
    ):
        jobs_load()


def test_jobs_run_once_counts_the_failures(job_module: str, runs: Counter[str]) -> None:
    periodic = [(f"{job_module}.failing", 60), (f"{job_module}.counting", 60)]
    with override_settings(PERIODIC_JOBS=periodic):
        assert jobs_run_once() == 1
    assert runs == {"failing": 1, "counting": 1}


def test_worker_once_runs_every_job_once_and_exits(job_module: str, runs: Counter[str]) -> None:
    with override_settings(PERIODIC_JOBS=[(f"{job_module}.counting", 60)]):
        call_command("worker", "--once")
    assert runs == {"counting": 1}


def test_worker_once_fails_when_a_job_fails(job_module: str, runs: Counter[str]) -> None:
    periodic = [(f"{job_module}.failing", 60), (f"{job_module}.counting", 60)]
    with override_settings(PERIODIC_JOBS=periodic), pytest.raises(CommandError, match="1 of 2"):
        call_command("worker", "--once")
    # The failure did not keep the next job from running.
    assert runs == {"failing": 1, "counting": 1}
