"""How the helpline is deployed and served: docker-compose.yml, the Dockerfile, Caddy, Daphne.

`docker compose config` cannot run on the CI machine, so the compose file is read as YAML
and held to what the integration tests start: the same management commands.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import yaml

from config.privacy import ClientAddressScrubber

if TYPE_CHECKING:
    from conftest import Served

BASE_DIR = Path(__file__).resolve().parent.parent
WEB_COMMAND = ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "8000"]
WORKER_COMMAND = ["python", "manage.py", "worker"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_web_and_worker_run_the_commands_the_integration_tests_run(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["web"]["command"] == WEB_COMMAND
    assert services["worker"]["command"] == WORKER_COMMAND


def test_the_image_runs_the_web_command_by_default() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    commands = re.findall(r"^CMD (\[.*\])\s*$", dockerfile, flags=re.MULTILINE)
    assert len(commands) == 1
    assert json.loads(commands[0]) == WEB_COMMAND
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE), "runs as root"
    assert "uv sync --frozen --no-dev" in dockerfile


def test_every_service_has_a_restart_policy(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "restart" in service, name


def test_migrations_run_once_before_web_and_worker_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["db"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}


def test_no_secret_is_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN|KEY", key):
                assert key.endswith("_FILE"), f"{name}: {key} is inline"
                assert str(value).startswith("/run/secrets/"), f"{name}: {key}"
            if key == "DATABASE_URL":
                assert urlsplit(value).password is None, f"{name}: password in DATABASE_URL"
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, f"secret {name} must come from a file"


def test_redis_keeps_nothing_on_disk(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--save") + 1] == ""
    assert command[command.index("--appendonly") + 1] == "no"


def test_the_proxy_writes_no_access_log_and_forwards_no_client_address() -> None:
    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in caddyfile.splitlines())
    # Only the global `log default` block, which leaves the request loggers out.
    assert [line.strip() for line in re.findall(r"^\s*log\b.*$", code, flags=re.MULTILINE)] == [
        "log default {"
    ]
    assert "exclude http.log.error" in code
    assert "header_up -X-Forwarded-For" in code
    assert "reverse_proxy" in code


# --- the ASGI application never sees a client address ---------------------------------


async def test_the_application_never_sees_the_client_address() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    scrubber = ClientAddressScrubber(app)
    for scope_type in ("http", "websocket"):
        scope = {
            "type": scope_type,
            "client": ("203.0.113.7", 51000),
            "headers": [
                (b"host", b"aide.example.org"),
                (b"x-forwarded-for", b"203.0.113.7"),
                (b"X-Real-IP", b"203.0.113.7"),
                (b"forwarded", b"for=203.0.113.7"),
            ],
        }
        await scrubber(scope, None, None)
        # The server's own scope is left alone.
        assert scope["client"] == ("203.0.113.7", 51000)

    for scope in seen:
        assert scope["client"] is None
        assert scope["headers"] == [(b"host", b"aide.example.org")]
        assert "203.0.113.7" not in repr(scope)


async def test_lifespan_scopes_pass_through_untouched() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    scope = {"type": "lifespan"}
    await ClientAddressScrubber(app)(scope, None, None)
    assert seen == [scope]


def test_the_served_application_is_behind_the_client_address_scrubber() -> None:
    from config.asgi import application

    assert isinstance(application, ClientAddressScrubber)


# --- manage.py serve -------------------------------------------------------------------


def test_serve_never_writes_an_access_log_line(
    serve: Callable[..., Served], embedded_env: dict[str, str]
) -> None:
    served = serve(embedded_env)
    for _ in range(2):
        with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["status"] == "ok"
    served.stop()

    lines = served.output().splitlines()
    banner = f"Serving on http://127.0.0.1:{served.port}"
    assert banner in lines
    after = "\n".join(lines[lines.index(banner) + 1 :])
    assert "127.0.0.1" not in after
    assert "GET" not in after
    assert "healthz" not in after


def test_serve_fails_loudly_when_its_port_is_taken(embedded_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=BASE_DIR,
            env=embedded_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Could not listen on 127.0.0.1:{port}" in result.stderr
