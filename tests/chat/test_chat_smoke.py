"""`manage.py chat_smoke` against a served demo helpline (the embedded default) whose
team key was rotated without the demo's command-line device: the round trip cannot
work, and the command says why in a sentence — which device, which team key version it
lacks, and what to do — never a bare TimeoutError. Done as it says, it works again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_chat_smoke_says_which_team_key_the_device_lacks_and_what_to_do(
    serve, embedded_env, tmp_path
):
    demo = tmp_path / "demo"
    env = {
        **embedded_env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.sqlite3'}",
        "SECRET_KEY": "smoke-test-only-" + "x" * 40,
        "CHAT_DEMO_DIR": str(demo),
    }
    for command in (["migrate", "--no-input"], ["demo_seed"]):
        assert manage(env, *command).returncode == 0
    served = serve(env)
    admin_key, device_key = str(demo / "admin.key.json"), str(demo / "staff.device.json")

    # A rotation the demo device cannot get: its certificate's KEM key carries version 1,
    # and it has published no wrap key.
    rotated = manage(env, "helpline_keys", "create-team-key", "--admin-key", admin_key)
    assert "team key v2 created, wrapped to 0 staff device(s)" in rotated.stdout
    assert "not wrapped to device" in rotated.stdout and "publish-wrap-key" in rotated.stdout

    smoke = manage(env, "chat_smoke", "--url", served.url)
    assert smoke.returncode != 0
    said = smoke.stderr
    assert "TimeoutError" not in said
    assert "does not hold team key version 2" in said and "(it holds: 1)" in said
    assert "/staff/setup/" in said and "publish-wrap-key" in said and device_key in said

    # What it says to do: publish a wrap key; the next version reaches the device.
    assert (
        manage(env, "helpline_keys", "publish-wrap-key", "--device-key", device_key).returncode == 0
    )
    again = manage(env, "helpline_keys", "create-team-key", "--admin-key", admin_key)
    assert "team key v3 created, wrapped to 1 staff device(s)" in again.stdout
    smoke = manage(env, "chat_smoke", "--url", served.url)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "OK: encrypted round trip" in smoke.stdout
