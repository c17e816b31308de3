"""Run the periodic jobs of `settings.PERIODIC_JOBS` (expiry, shift transitions, ...).

Production runs them in one `manage.py worker` process; the embedded default runs them in
a thread of `manage.py serve --jobs`. Nothing here stops two runners from running the same
job at the same time (two workers, or a worker during a rolling restart): every job is
responsible for its own multi-worker safety, and claims its work in the database with a
conditional UPDATE and its row count, or `select_for_update(skip_locked=True)`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils.module_loading import import_string

from chat import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[[], object]
    interval: float


def jobs_load() -> list[Job]:
    """Import the jobs named in `settings.PERIODIC_JOBS`; called at run time, not import."""
    jobs = []
    for name, interval in settings.PERIODIC_JOBS:
        if interval <= 0:
            raise ImproperlyConfigured(f"PERIODIC_JOBS: {name} needs a positive interval")
        try:
            function = import_string(name)
        except ImportError as error:
            raise ImproperlyConfigured(f"PERIODIC_JOBS: cannot import {name}: {error}") from None
        jobs.append(Job(name=name, function=function, interval=interval))
    return jobs


def connections_close_stale() -> None:
    """Close this thread's connections that are broken or past CONN_MAX_AGE.

    Like `django.db.close_old_connections`, except that a connection inside an atomic
    block is left alone: closing it would break the transaction around the job (in
    production jobs never run inside one; tests run them inside one).
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def job_run(job: Job) -> bool:
    """Run one job once; True if it finished without raising.

    Every exception is caught: one failing job must not stop the others or the loop. Only
    its type and message are logged, never a traceback with local variables, since a job
    may hold data that must not reach the logs.
    """
    connections_close_stale()
    label = metrics.job_label(job.name)
    started = time.monotonic()
    try:
        job.function()
    except Exception as error:
        logger.error("Job %s failed: %s: %s", job.name, type(error).__name__, error)
        metrics.JOB_RUNS.labels(label, "failed").inc()
        return False
    finally:
        # The job may have left a broken or expired connection behind; don't let the next
        # job (or the next run, a minute later) inherit it.
        connections_close_stale()
        metrics.JOB_SECONDS.labels(label).observe(time.monotonic() - started)
    metrics.JOB_RUNS.labels(label, "ok").inc()
    metrics.JOB_LAST_SUCCESS.labels(label).set_to_current_time()
    return True


def jobs_run_once(jobs: list[Job] | None = None) -> int:
    """Run every job once, in order; return how many failed."""
    jobs = jobs_load() if jobs is None else jobs
    return sum(0 if job_run(job) else 1 for job in jobs)


def jobs_run_forever(
    stop: threading.Event,
    jobs: list[Job] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run each job when due until `stop` is set; every job runs once at start.

    Intervals are kept on the monotonic clock, so a change of wall-clock time (NTP, daylight
    saving) neither skips nor doubles a run. A job's next run is one interval after its
    last run ended, so a slow job never piles up runs. `stop` is checked between jobs: a
    job that is running finishes first.
    """
    jobs = jobs_load() if jobs is None else jobs
    due = [clock()] * len(jobs)
    try:
        while not stop.is_set():
            for index, job in enumerate(jobs):
                if stop.is_set():
                    return
                if clock() >= due[index]:
                    job_run(job)
                    due[index] = clock() + job.interval
            # Event.wait returns as soon as `stop` is set, however long the wait.
            stop.wait(max(min(due) - clock(), 0) if jobs else None)
    finally:
        # Connections belong to the thread that opened them; this one is about to end.
        connections.close_all()
