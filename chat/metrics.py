"""What an operator watches (docs/install.md, "Metrics and alerts"), for Prometheus.

Each `serve` process and the `worker` answer `GET /metrics` on a port of their own
(`METRICS_PORT`, off by default), which the proxy never forwards to: the public site has
no `/metrics`, and the port is reachable only on the host or the compose network.

No metric carries an identifier: labels are drawn from fixed sets (an endpoint kind, a
protocol error code, a job name from settings), never a conversation, a device, a
person, a campaign or an address. Counters and socket gauges are per process (sum them
across processes); the database-derived figures (the queue, the health of PostgreSQL
and Redis) are computed when scraped, by every process alike (take the max).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string
from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chat.events import layer_redis_url

logger = logging.getLogger(__name__)

# Scrape-time checks must not hold the scrape: Prometheus times out at 10 s by default.
HEALTH_TIMEOUT_SECONDS = 2

WEBSOCKETS = Gauge(
    "helpline_websockets",
    "Websockets open on this process, by endpoint (visitor, staff).",
    ["endpoint"],
)
REFUSALS = Counter(
    "helpline_refusals",
    "Frames refused with an error frame, by protocol error code (docs/protocol.md).",
    ["reason"],
)
HANDSHAKES_REFUSED = Counter(
    "helpline_handshakes_refused",
    "Websocket handshakes refused (no valid staff session), by endpoint.",
    ["endpoint"],
)
ACKS = Counter(
    "helpline_acks",
    "Frames acknowledged (stored, or a duplicate of one stored), by kind.",
    ["kind", "duplicate"],
)
ACK_SECONDS = Histogram(
    "helpline_ack_seconds",
    "From a frame's turn to its acknowledgement: validation, the database commit, sending.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_RUNS = Counter(
    "helpline_job_runs",
    "Periodic job runs in this process, by job and result (ok, failed).",
    ["job", "result"],
)
JOB_SECONDS = Histogram(
    "helpline_job_seconds",
    "How long each periodic job run took.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
JOB_LAST_SUCCESS = Gauge(
    "helpline_job_last_success_timestamp_seconds",
    "Unix time of the job's last run that finished without raising, in this process.",
    ["job"],
)
BODIES_REFUSED = Counter(
    "helpline_http_bodies_refused",
    "HTTP requests refused with 413 because their body was over HTTP_BODY_MAX_BYTES.",
)


def job_label(name: str) -> str:
    """``chat.expiry.expiry_job`` → ``expiry_job``: short, and from settings only."""
    return name.rsplit(".", 1)[-1]


class HealthCollector(Collector):
    """`helpline_database_up` and `helpline_redis_up`, checked at each scrape."""

    def describe(self) -> Iterable[Metric]:
        # Named here so that registering this collector runs no query.
        yield GaugeMetricFamily("helpline_database_up", "")
        yield GaugeMetricFamily("helpline_redis_up", "")

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "helpline_database_up",
            "1 if this process ran SELECT 1 on its database within 2 s at this scrape.",
            value=1 if database_answers() else 0,
        )
        redis = redis_answers()
        if redis is not None:
            yield GaugeMetricFamily(
                "helpline_redis_up",
                "1 if this process's Redis answered PING within 2 s at this scrape.",
                value=1 if redis else 0,
            )


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET statement_timeout = {HEALTH_TIMEOUT_SECONDS * 1000}")
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 — a metric, and a line saying why
        logger.warning("Metrics: database check failed: %s", type(error).__name__)
        return False
    finally:
        scrape_connection_release()
    return True


def scrape_connection_release() -> None:
    """Close this thread's database connection: a scrape runs on a thread of its own,
    made for it, and would leave one open per scrape. One inside a transaction (a test
    calling a collector) is left alone."""
    if not connection.in_atomic_block:
        connection.close()


def redis_answers() -> bool | None:
    """PING the channel layer's Redis; None when there is none (the embedded default)."""
    address = layer_redis_url()
    if address is None:
        return None
    import redis

    client = redis.Redis.from_url(
        address,
        socket_timeout=HEALTH_TIMEOUT_SECONDS,
        socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except redis.RedisError as error:
        logger.warning("Metrics: Redis check failed: %s", type(error).__name__)
        return False
    finally:
        client.close()


def metrics_serve() -> int | None:
    """Start the metrics port if `METRICS_PORT` is set; return the port it listens on.

    Registers the scrape-time collectors (ours and `settings.METRICS_COLLECTORS`, dotted
    paths of collector classes) first; a thread of prometheus_client answers scrapes.
    """
    port = settings.METRICS_PORT
    if not port:
        return None
    # `*_created` series double every counter's lines for a figure nobody alerts on.
    disable_created_metrics()
    for collector in [HealthCollector, *map(import_string, settings.METRICS_COLLECTORS)]:
        REGISTRY.register(collector())
    server, _thread = start_http_server(port, addr=settings.METRICS_HOST)
    logger.info("Metrics on %s:%d/metrics", settings.METRICS_HOST, port)
    return server.server_port


def ack_count(kind: str, *, duplicate: bool, started: float) -> None:
    """One acknowledgement sent, ``started`` (time.monotonic()) when its frame's turn came."""
    ACKS.labels(kind, "true" if duplicate else "false").inc()
    ACK_SECONDS.labels(kind).observe(time.monotonic() - started)
