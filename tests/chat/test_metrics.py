"""The operator's metrics (chat/metrics.py): what they count, where they
are served, and that no label can carry an identifier."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from chat import metrics
from chat.jobs import Job, job_run
from chat.protocol import frames as f

if TYPE_CHECKING:
    from conftest import Served

# Every label the metrics may carry: each one's values come from a fixed set.
LABELS_ALLOWED = {"endpoint", "reason", "kind", "duplicate", "job", "result"}


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_no_metric_has_a_label_that_could_carry_an_identifier() -> None:
    families = [
        metrics.WEBSOCKETS,
        metrics.REFUSALS,
        metrics.HANDSHAKES_REFUSED,
        metrics.ACKS,
        metrics.ACK_SECONDS,
        metrics.JOB_RUNS,
        metrics.JOB_SECONDS,
        metrics.JOB_LAST_SUCCESS,
        metrics.BODIES_REFUSED,
    ]
    for family in families:
        assert set(family._labelnames) <= LABELS_ALLOWED, family._name
    source = Path(metrics.__file__).read_text()
    assert len(re.findall(r"^[A-Z_]+ = (Counter|Gauge|Histogram)\(", source, re.M)) == len(
        families
    ), "a metric was added: list it above"


@pytest.mark.django_db
def test_job_runs_are_counted_by_job_and_result() -> None:
    def fails() -> None:
        raise RuntimeError("nope")

    ok_before = sample("helpline_job_runs_total", {"job": "fine_job", "result": "ok"})
    failed_before = sample("helpline_job_runs_total", {"job": "broken_job", "result": "failed"})
    assert job_run(Job(name="tests.fine_job", function=lambda: None, interval=60))
    assert not job_run(Job(name="tests.broken_job", function=fails, interval=60))

    assert sample("helpline_job_runs_total", {"job": "fine_job", "result": "ok"}) == ok_before + 1
    assert (
        sample("helpline_job_runs_total", {"job": "broken_job", "result": "failed"})
        == failed_before + 1
    )
    last = sample("helpline_job_last_success_timestamp_seconds", {"job": "fine_job"})
    assert abs(last - timezone.now().timestamp()) < 60
    assert sample("helpline_job_last_success_timestamp_seconds", {"job": "broken_job"}) == 0


def test_metrics_are_on_their_own_port_and_not_on_the_site(
    serve: Callable[..., Served], embedded_env: dict[str, str], free_port: int
) -> None:
    served = serve({**embedded_env, "METRICS_PORT": str(free_port)})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{served.url}/metrics", timeout=10)
    assert refused.value.code == 404

    with urllib.request.urlopen(f"http://127.0.0.1:{free_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert re.search(r"^helpline_database_up 1\.0$", text, re.M)
    # The embedded default has no Redis: no figure rather than a false alarm.
    assert "helpline_redis_up" not in text
    assert "_created" not in text


def test_without_a_metrics_port_nothing_listens(
    serve: Callable[..., Served], embedded_env: dict[str, str]
) -> None:
    served = serve(embedded_env)
    served.stop()
    assert "Metrics on" not in served.output()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_counts_while_open_and_a_refusal_counts_by_its_code(sockets) -> None:
    open_before = sample("helpline_websockets", {"endpoint": "visitor"})
    refused_before = sample("helpline_refusals_total", {"reason": "bad_frame"})
    socket = await sockets.visitor()
    assert sample("helpline_websockets", {"endpoint": "visitor"}) == open_before + 1

    await socket.send("this is not a frame")
    error = await socket.receive_until(f.Error)
    assert error.code == "bad_frame"
    assert sample("helpline_refusals_total", {"reason": "bad_frame"}) == refused_before + 1

    await sockets.disconnect_all()
    assert sample("helpline_websockets", {"endpoint": "visitor"}) == open_before
