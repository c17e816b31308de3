"""`manage.py chat_smoke`: the operator's one-command round trip, against a live worker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.livestack import BASE_DIR

pytestmark = pytest.mark.integration


def test_chat_smoke_makes_an_encrypted_round_trip(live_stack):
    result = subprocess.run(
        [sys.executable, "manage.py", "chat_smoke", "--url", live_stack.urls[0]],
        cwd=BASE_DIR,
        env=live_stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
    assert "visitor → staff" in result.stdout
    assert "staff → visitor" in result.stdout
