"""The queue as the operator's metrics show it (ops/metrics.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from prometheus_client.registry import CollectorRegistry

from ops.metrics import QueueCollector
from tests.ops.conftest import AT

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(QueueCollector())
    return registry


def test_an_empty_queue_has_waited_for_nothing(registry):
    with time_machine.travel(AT, tick=False):
        assert registry.get_sample_value("helpline_shift_open") == 0
    assert registry.get_sample_value("helpline_queue_waiting") == 0
    assert registry.get_sample_value("helpline_queue_oldest_wait_seconds") == 0


def test_waiting_conversations_are_counted_with_the_oldest_wait(registry, visitor_opens):
    visitor_opens(at=AT - timedelta(minutes=12))
    visitor_opens(language="bg", at=AT - timedelta(minutes=2))
    with time_machine.travel(AT, tick=False):
        assert registry.get_sample_value("helpline_queue_waiting") == 2
        assert registry.get_sample_value("helpline_queue_oldest_wait_seconds") == 12 * 60


def test_a_shift_with_someone_on_it_shows_open(registry, staff_on_shift):
    with time_machine.travel(AT, tick=False):
        assert registry.get_sample_value("helpline_shift_open") == 1
