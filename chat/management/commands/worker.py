"""`manage.py worker`: the one process that runs the periodic jobs in production."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.jobs import jobs_load, jobs_run_forever, jobs_run_once
from chat.metrics import metrics_serve

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs (settings.PERIODIC_JOBS) until SIGTERM or SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run every job once, then exit (1 if any failed)."
        )

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        jobs = jobs_load()
        if once:
            failures = jobs_run_once(jobs)
            if failures:
                raise CommandError(f"{failures} of {len(jobs)} jobs failed")
            return

        stop = threading.Event()

        def stop_on_signal(signum: int, frame: FrameType | None) -> None:
            # Finish the job under way, then leave: jobs are transactional, but a clean
            # stop spares the next run from redoing half of it.
            stop.set()

        signal.signal(signal.SIGTERM, stop_on_signal)
        signal.signal(signal.SIGINT, stop_on_signal)
        metrics_serve()
        logger.info("Worker started with %d jobs: %s", len(jobs), ", ".join(j.name for j in jobs))
        jobs_run_forever(stop, jobs)
        logger.info("Worker stopped")
