"""How the helpline is deployed and served: docker-compose.yml, the Dockerfile, Caddy, Daphne.

`docker compose config` cannot run on the CI machine, so the compose file is read as YAML
and held to what the integration tests start: the same management commands.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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


def web_services(compose: dict[str, Any]) -> list[str]:
    """The compose services that serve HTTP and websockets (those Caddy proxies to)."""
    return sorted(
        name
        for name, service in compose["services"].items()
        if service.get("command", [])[2:3] == ["serve"]
    )


def test_web_and_worker_run_the_commands_the_integration_tests_run(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert web_services(compose) == ["web1", "web2"]
    for name in web_services(compose):
        assert services[name]["command"] == WEB_COMMAND
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
    for name in [*web_services(compose), "worker"]:
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


# --- Caddy, the units and the environment files of docs/install.md -----------------------


def caddy_code(name: str) -> str:
    """A Caddyfile without its comments and blank lines."""
    text = (BASE_DIR / "deploy" / name).read_text()
    lines = (line.split("#", 1)[0].rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line.strip())


def caddy() -> str:
    binary = shutil.which("caddy")
    assert binary, "caddy is not installed: `apt-get install -y caddy` (.ci/run does)"
    return binary


def test_caddy_proxies_to_every_web_service_of_the_compose_file(compose: dict[str, Any]) -> None:
    (upstreams,) = re.findall(r"^\s*to (.+)$", caddy_code("Caddyfile"), flags=re.MULTILINE)
    assert upstreams.split() == [f"{name}:8000" for name in web_services(compose)]


def test_the_host_caddyfile_is_the_compose_one_but_for_its_upstreams() -> None:
    docker, host = caddy_code("Caddyfile"), caddy_code("Caddyfile.host")
    (host_upstreams,) = re.findall(r"^\s*to (.+)$", host, flags=re.MULTILINE)
    # deploy/systemd/helpline-web@.service: instance N listens on 127.0.0.1:800N.
    assert host_upstreams.split() == ["127.0.0.1:8001", "127.0.0.1:8002"]
    assert re.sub(r"(?m)^(\s*to) .+$", r"\1", docker) == re.sub(r"(?m)^(\s*to) .+$", r"\1", host)


@pytest.mark.parametrize("name", ["Caddyfile", "Caddyfile.host"])
def test_the_caddyfiles_are_valid_and_caddy_fmt_clean(name: str) -> None:
    path = BASE_DIR / "deploy" / name
    formatted = subprocess.run(
        [caddy(), "fmt", str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    assert formatted.stdout == path.read_text(), f"run `caddy fmt --overwrite deploy/{name}`"
    validated = subprocess.run(
        [caddy(), "validate", "--config", str(path), "--adapter", "caddyfile"],
        env={**os.environ, "HELPLINE_DOMAIN": "chat.example.org"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert validated.returncode == 0, validated.stderr


def test_the_proxy_caps_bodies_checks_health_and_sends_one_server_header() -> None:
    from django.conf import settings

    code = caddy_code("Caddyfile")
    (cap,) = re.findall(r"^\s*max_size (\d+)MB$", code, flags=re.MULTILINE)
    # The app's own cap (config/request_limits.py) is the proxy's.
    assert int(cap) * 1_000_000 == settings.HTTP_BODY_MAX_BYTES
    assert re.search(r"^\s*health_uri /healthz$", code, flags=re.MULTILINE)
    (fail_duration,) = re.findall(r"^\s*fail_duration (\d+)s$", code, flags=re.MULTILINE)
    assert int(fail_duration) <= 5
    assert re.search(r"^\s*encode zstd gzip$", code, flags=re.MULTILINE)
    assert re.search(r"^\s*header_down -Server$", code, flags=re.MULTILINE)


def test_metrics_ports_are_never_published(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        published = [str(port) for port in service.get("ports", [])]
        assert all(not port.startswith("9100") and ":9100" not in port for port in published)
        if name != "proxy":
            assert published == [], f"{name} publishes a port"
    assert compose["x-app"]["environment"]["METRICS_PORT"] == "9100"


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (BASE_DIR / "deploy" / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_the_systemd_units_run_the_compose_commands_on_loopback() -> None:
    web = unit("helpline-web@.service")
    (exec_start,) = web["ExecStart"]
    assert exec_start.split() == [
        "/opt/helpline/.venv/bin/python",
        *WEB_COMMAND[1:3],
        "--host",
        "127.0.0.1",
        "--port",
        "800%i",
    ]
    assert web["Environment"] == ["METRICS_PORT=910%i"]
    worker = unit("helpline-worker.service")
    assert worker["ExecStart"] == ["/opt/helpline/.venv/bin/python " + " ".join(WORKER_COMMAND[1:])]
    for values in (web, worker):
        assert values["User"] == ["helpline"]
        assert values["EnvironmentFile"] == ["/etc/helpline/helpline.env"]


def env_file(name: str) -> dict[str, str]:
    lines = (BASE_DIR / "deploy" / name).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_compose_env_example_sets_every_variable_compose_requires() -> None:
    text = (BASE_DIR / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {"HELPLINE_DOMAIN", "SECURITY_TXT_CONTACT", "SECURITY_TXT_EXPIRES"}
    assert required <= set(env_file("compose.env.example"))
    assert not [
        key for key in env_file("compose.env.example") if re.search("SECRET|PASSWORD|PEPPER", key)
    ]


def test_the_host_env_example_passes_check_deploy(tmp_path: Path) -> None:
    env = env_file("helpline.env.example")
    assert set(env) >= {
        "SECRET_KEY_FILE",
        "RETURN_CODE_PEPPER_FILE",
        "PUSH_VAPID_PRIVATE_KEY_FILE",
        "PRODUCTION",
    }
    # The same, but for the secret files' place, and a database and Redis of this machine;
    # each secret made as docs/install.md makes it (the VAPID key: 32 random bytes).
    sizes = {
        "SECRET_KEY_FILE": 50,
        "RETURN_CODE_PEPPER_FILE": 32,
        "PUSH_VAPID_PRIVATE_KEY_FILE": 32,
    }
    for name, size in sizes.items():
        secret = tmp_path / name.lower()
        secret.write_text(secrets.token_urlsafe(size) + "\n")
        env[name] = str(secret)
    env["DATABASE_URL"] = "postgres://helpline@127.0.0.1:5432/helpline"
    # The example's date is an example: security.txt must expire within the coming year.
    env["SECURITY_TXT_EXPIRES"] = (datetime.now(UTC) + timedelta(days=180)).date().isoformat()
    base = {k: v for k, v in os.environ.items() if not re.match(r"(DATABASE|REDIS|SECRET)_", k)}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_every_secret_file_the_settings_name_is_one_install_md_makes(
    compose: dict[str, Any],
) -> None:
    """A `*_FILE` setting whose file the install steps never make stops the service at
    start (or, for the VAPID key, leaves push off without a word)."""
    install = (BASE_DIR / "docs" / "install.md").read_text()
    made_compose = set(re.findall(r"> secrets/(\w+)", install))
    made_host = set(re.findall(r"> /etc/helpline/secrets/(\w+)", install))
    environment = compose["x-app"]["environment"]
    named = {
        value.removeprefix("/run/secrets/")
        for key, value in environment.items()
        if key.endswith("_FILE")
    }
    assert named | {"db_password"} == made_compose == set(compose["secrets"])
    host_named = {
        value.removeprefix("/etc/helpline/secrets/")
        for key, value in env_file("helpline.env.example").items()
        if key.endswith("_FILE")
    }
    assert host_named == made_host
    assert "vapid_private_key" in named & host_named
