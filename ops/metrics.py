"""The queue as the operator's metrics show it (chat/metrics.py, docs/install.md).

Counts and ages only: no conversation, language, skill or person is a label.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chat.metrics import scrape_connection_release
from ops import clock
from ops.models import Route
from ops.rota import selectors as rota

logger = logging.getLogger(__name__)

NAMES = ("helpline_queue_waiting", "helpline_queue_oldest_wait_seconds", "helpline_shift_open")


class QueueCollector(Collector):
    def describe(self) -> Iterable[Metric]:
        # Named here so that registering this collector runs no query.
        for name in NAMES:
            yield GaugeMetricFamily(name, "")

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        try:
            waiting = Route.objects.filter(state=Route.State.WAITING).aggregate(
                count=Count("pk"), oldest=Min("waiting_since")
            )
            shift_open = any(i.staffed for i in rota.shifts_open(clock.now()))
        except Exception as error:  # noqa: BLE001 — helpline_database_up says it too
            logger.warning("Metrics: queue figures failed: %s", type(error).__name__)
            return
        finally:
            scrape_connection_release()
        oldest = waiting["oldest"]
        yield GaugeMetricFamily(
            "helpline_queue_waiting",
            "Conversations waiting in the queue for someone to take them.",
            value=waiting["count"],
        )
        yield GaugeMetricFamily(
            "helpline_queue_oldest_wait_seconds",
            "How long the conversation waiting longest has waited (0: none waits).",
            value=(now - oldest).total_seconds() if oldest is not None else 0,
        )
        yield GaugeMetricFamily(
            "helpline_shift_open",
            "1 while a shift with someone on it is open (the rota), else 0.",
            value=1 if shift_open else 0,
        )
