"""The production setup on loopback, as docs/install.md describes it without Docker.

Debian's Caddy with deploy/Caddyfile.host (changed only for loopback: its ports, `tls
internal`, the upstreams' ports), two `manage.py serve` and one `manage.py worker`,
PostgreSQL and Redis, `PRODUCTION=true`, metrics on ports of their own. The visitor and
staff clients speak to Caddy over HTTPS, trusting Caddy's local CA, as a phone would.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.livestack import BASE_DIR, LiveStack, StackError, port_free, process_stop
from tests.integration.conftest import LIVESTACK_ENV, STAFF, VISITOR

pytestmark = pytest.mark.integration

# The acceptance bounds of this setup (the issue that asked for it): not speed figures
# but what an operator may expect of it.
RSS_GROWTH_LIMIT_BYTES = 20 * 1024 * 1024
BACK_AFTER_RESTART_SECONDS = 10
POST_BYTES = 800 * 1024 * 1024
CHUNK = b"\0" * (1024 * 1024)


def caddyfile_loopback(*, http_port: int, https_port: int, upstreams: list[int], data: Path) -> str:
    """deploy/Caddyfile.host with what loopback changes, and nothing else."""
    text = (BASE_DIR / "deploy" / "Caddyfile.host").read_text()
    changes = [
        # Global options: the test's ports, no admin endpoint (others may run Caddy on
        # 2019), certificates under the test's directory, the system trust store left alone.
        (
            "{\n\t# No site below",
            f"{{\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
            f"\tstorage file_system {data}\n\tskip_install_trust\n\t# No site below",
        ),
        ("{$HELPLINE_DOMAIN} {\n", "{$HELPLINE_DOMAIN} {\n\ttls internal\n"),
        (
            "to 127.0.0.1:8001 127.0.0.1:8002",
            "to " + " ".join(f"127.0.0.1:{port}" for port in upstreams),
        ),
    ]
    for old, new in changes:
        assert text.count(old) == 1, f"deploy/Caddyfile.host no longer has {old!r}"
        text = text.replace(old, new)
    return text


@dataclass
class Production:
    stack: LiveStack
    caddy: subprocess.Popen
    caddy_log: Path
    https_port: int
    http_port: int
    ca_file: Path
    jobs: subprocess.Popen
    jobs_metrics_port: int
    jobs_log: Path

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def jobs_wait(self) -> None:
        """Wait until the `worker` process answers on its metrics port."""

        def answers() -> bool:
            if self.jobs.poll() is not None:
                raise StackError(f"the worker exited:\n{self.jobs_log.read_text()[-3000:]}")
            try:
                metrics_text(self.jobs_metrics_port)
            except OSError:
                return False
            return True

        wait_until(answers, timeout=60, what="the worker's metrics port")

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def get(self, path: str, headers: dict[str, str] | None = None):
        """GET through Caddy: (status, headers as (name, value) pairs, body)."""
        connection = http.client.HTTPSConnection(
            "localhost", self.https_port, context=self.ssl_context(), timeout=15
        )
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=15) as response:
        assert response.status == 200
        return response.read().decode()


def metric_value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, flags=re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE).group(1)) * 1024


def wait_until(condition, *, timeout: float, what: str) -> float:
    """Poll ``condition`` every 0.1 s; return the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    caddy_binary = shutil.which("caddy")
    if caddy_binary is None:
        raise StackError("caddy is not installed: `apt-get install -y caddy` (.ci/run does)")
    workdir = tmp_path_factory.mktemp("production")
    https_port, http_port = port_free(), port_free()
    pepper = workdir / "return_code_pepper"
    pepper.write_text(secrets.token_urlsafe(32) + "\n")
    pepper.chmod(0o640)
    # What deploy/helpline.env.example sets, for this machine.
    env = {
        **LIVESTACK_ENV,
        "PRODUCTION": "true",
        "TRUST_X_FORWARDED_PROTO": "true",
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{https_port}",
        "SECURITY_TXT_CONTACT": "mailto:security@example.org",
        "SECURITY_TXT_EXPIRES": (datetime.now(UTC) + timedelta(days=300)).date().isoformat(),
        "RETURN_CODE_PEPPER_FILE": str(pepper),
    }
    stack = LiveStack(workdir, servers=2, extra_env=env, metrics=True)
    stack.up()
    processes: list[subprocess.Popen] = []
    try:
        jobs_metrics_port = port_free()
        jobs_log = workdir / "worker.log"
        with jobs_log.open("wb") as log:
            jobs = subprocess.Popen(
                [sys.executable, "manage.py", "worker"],
                cwd=BASE_DIR,
                env={**stack.env, "METRICS_PORT": str(jobs_metrics_port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(jobs)

        data = workdir / "caddy-data"
        caddyfile = workdir / "Caddyfile"
        caddyfile.write_text(
            caddyfile_loopback(
                http_port=http_port,
                https_port=https_port,
                upstreams=[worker.port for worker in stack.workers],
                data=data,
            )
        )
        caddy_log = workdir / "caddy.log"
        caddy_env = {
            **os.environ,
            "HELPLINE_DOMAIN": f"localhost:{https_port}",
            "XDG_DATA_HOME": str(workdir / "xdg-data"),
            "XDG_CONFIG_HOME": str(workdir / "xdg-config"),
        }
        with caddy_log.open("wb") as log:
            caddy = subprocess.Popen(
                [caddy_binary, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                env=caddy_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(caddy)
        ca_file = data / "pki" / "authorities" / "local" / "root.crt"
        production = Production(
            stack=stack,
            caddy=caddy,
            caddy_log=caddy_log,
            https_port=https_port,
            http_port=http_port,
            ca_file=ca_file,
            jobs=jobs,
            jobs_metrics_port=jobs_metrics_port,
            jobs_log=jobs_log,
        )

        def caddy_serves() -> bool:
            if caddy.poll() is not None:
                raise StackError(f"caddy exited:\n{caddy_log.read_text()[-3000:]}")
            if not ca_file.exists():
                return False
            try:
                return production.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_until(caddy_serves, timeout=60, what="Caddy serving the workers")
        production.jobs_wait()
        yield production
        processes.append(production.jobs)  # a test may have restarted it
    finally:
        for process in processes:
            process_stop(process)
        stack.close()


# The conversation fixtures of tests/integration/conftest.py, on this stack.
@pytest.fixture(scope="module")
def live_stack(production: Production) -> LiveStack:
    return production.stack


@pytest.fixture(scope="module")
def demo(live_stack: LiveStack) -> dict:
    return live_stack.demo


@pytest.fixture(scope="module")
def admin_fingerprint(demo: dict) -> bytes:
    return bytes.fromhex(demo["fingerprint"])


@pytest.fixture(scope="module")
def staff_device_path(live_stack: LiveStack) -> Path:
    return live_stack.staff_device_path


@pytest.fixture
def trusting_caddy(production: Production, monkeypatch: pytest.MonkeyPatch) -> Production:
    """The reference clients (websockets, urllib) trust Caddy's local CA, as chat_smoke
    does against a private CA through SSL_CERT_FILE (docs/install.md)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(production.ca_file))
    return production


# --- HTTPS, headers ----------------------------------------------------------------------


def test_https_with_one_of_each_header_and_compressed_pages(production: Production) -> None:
    status, headers, _ = production.get("/healthz")
    assert status == 200
    names = [name.lower() for name, _ in headers]
    for name in ("server", "strict-transport-security", "x-content-type-options"):
        assert names.count(name) == 1, (name, headers)
    assert dict((n.lower(), v) for n, v in headers)["server"] == "Caddy"

    status, headers, body = production.get("/staff/login/", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert dict((n.lower(), v) for n, v in headers).get("content-encoding") == "gzip"

    plain = http.client.HTTPConnection("localhost", production.http_port, timeout=15)
    plain.request("GET", "/staff/login/")
    redirect = plain.getresponse()
    assert redirect.status in (301, 308)
    # Caddy names no port when redirecting on loopback's ports; on 80 and 443 none is due.
    assert re.fullmatch(r"https://localhost(:\d+)?/staff/login/", redirect.getheader("Location"))
    plain.close()


# --- request bodies ---------------------------------------------------------------------


def post_streamed(connection: http.client.HTTPConnection, path: str, total: int) -> tuple[int, int]:
    """POST ``total`` bytes of zeros chunked; (bytes sent before the server stopped us,
    status of the answer or 0 if the connection was cut before one could be read)."""
    sent = 0
    try:
        connection.putrequest("POST", path)
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", "application/octet-stream")
        connection.endheaders()
        while sent < total:
            connection.send(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            sent += len(CHUNK)
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass
    try:
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return sent, status


def test_an_800_mb_post_leaves_the_workers_memory_flat(production: Production) -> None:
    stack = production.stack
    code = stack.demo["campaign"]
    before = {w.index: rss_bytes(w.process.pid) for w in stack.workers}
    mark = stack.log_mark()

    # Through Caddy, as anyone on the internet would.
    through_caddy = http.client.HTTPSConnection(
        "localhost", production.https_port, context=production.ssl_context(), timeout=60
    )
    sent_caddy, status_caddy = post_streamed(through_caddy, f"/c/{code}/opened", POST_BYTES)
    # Straight to a worker, as on an install without Caddy.
    worker = stack.workers[0]
    direct = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=60)
    sent_direct, status_direct = post_streamed(direct, f"/c/{code}/opened", POST_BYTES)

    after = {w.index: rss_bytes(w.process.pid) for w in stack.workers}
    print(
        f"\n800 MB POST: through Caddy {sent_caddy / 2**20:.0f} MiB sent, answer {status_caddy};"
        f" direct {sent_direct / 2**20:.0f} MiB sent, answer {status_direct};"
        f" worker RSS before {[round(v / 2**20) for v in before.values()]} MiB,"
        f" after {[round(v / 2**20) for v in after.values()]} MiB"
    )
    assert sent_caddy < POST_BYTES and sent_direct < POST_BYTES, "nobody cut the body"
    assert status_caddy in (413, 0) and status_direct in (413, 0)
    for index, rss in after.items():
        assert rss - before[index] < RSS_GROWTH_LIMIT_BYTES, (index, before[index], rss)
    # Both still serve, and nothing was logged as an error.
    assert production.get("/healthz")[0] == 200
    logs = stack.logs(since=mark)
    assert "ERROR" not in logs and "Traceback" not in logs, logs


# --- restarts ---------------------------------------------------------------------------


def test_both_workers_restarted_caddy_answers_within_10_s(production: Production) -> None:
    stack = production.stack
    restarted = time.monotonic()
    for worker in stack.workers:
        stack.stop(worker.index)
    for worker in stack.workers:
        stack.start(worker.index)  # returns once the worker answers /healthz itself
    workers_back = time.monotonic() - restarted

    def caddy_answers() -> bool:
        try:
            return production.get("/healthz")[0] == 200
        except OSError:
            return False

    waited = wait_until(
        caddy_answers, timeout=BACK_AFTER_RESTART_SECONDS, what="Caddy answering 200"
    )
    print(
        f"\nboth workers restarted: serving again at +{workers_back:.1f} s,"
        f" 200 through Caddy {waited:.1f} s later"
    )


async def paced(pair, side: str, count: int, *, label: str) -> None:
    async def pause(i: int) -> None:
        await asyncio.sleep(0.05)

    await pair.stream(side, count, label=label, after_each=pause)


async def test_a_rolling_upgrade_with_a_visitor_connected_loses_nothing(
    trusting_caddy: Production, pair_open
) -> None:
    production = trusting_caddy
    stack = production.stack
    pair = await pair_open([production.url], [production.url])
    upgrade_done = asyncio.Event()
    steps: list[str] = []

    async def upgrade() -> None:
        # docs/install.md, "Upgrading" (without Docker): the code is already in place;
        # migrate, then each web worker in turn, waiting until it serves, then the worker.
        await asyncio.sleep(0.5)
        await asyncio.to_thread(stack.manage, "migrate", "--noinput")
        steps.append("migrate")
        for worker in stack.workers:
            await asyncio.to_thread(stack.stop, worker.index)
            await asyncio.to_thread(stack.start, worker.index)
            steps.append(f"web {worker.index} restarted")
        process_stop(production.jobs)
        with production.jobs_log.open("ab") as log:
            production.jobs = subprocess.Popen(
                [sys.executable, "manage.py", "worker"],
                cwd=BASE_DIR,
                env={**stack.env, "METRICS_PORT": str(production.jobs_metrics_port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        await asyncio.to_thread(production.jobs_wait)
        steps.append("worker restarted")
        upgrade_done.set()

    async def talk(side: str) -> None:
        round_ = 0
        while not upgrade_done.is_set() or round_ < 2:
            await paced(pair, side, 10, label=f"upgrade {round_}")
            round_ += 1

    await asyncio.gather(upgrade(), talk(VISITOR), talk(STAFF))
    await pair.wait_caught_up()

    assert steps == ["migrate", "web 0 restarted", "web 1 restarted", "worker restarted"]
    # Both sockets went through a restart of the worker they were on, and came back.
    assert pair.visitor.reconnections >= 1 and pair.staff.reconnections >= 1
    pair.assert_delivered_exactly_once_in_order()
    print(
        f"\nrolling upgrade: {len(pair.sent[VISITOR])} visitor and {len(pair.sent[STAFF])}"
        f" staff messages, all delivered once in order; reconnections visitor"
        f" {pair.visitor.reconnections}, staff {pair.staff.reconnections}"
    )

    # The metrics saw it, and carry nothing that names the conversation or a device.
    texts = [metrics_text(w.metrics_port) for w in stack.workers]
    texts.append(metrics_text(production.jobs_metrics_port))
    for text in texts:
        for secret in (pair.conversation_id, pair.staff.device.device_id, stack.demo["campaign"]):
            assert secret not in text
            assert secret.replace("-", "") not in text


# --- metrics ----------------------------------------------------------------------------


async def test_metrics_are_refused_through_caddy_and_served_inside(
    trusting_caddy: Production, pair_open
) -> None:
    production = trusting_caddy
    stack = production.stack
    pair = await pair_open([production.url], [production.url])
    await pair.say(VISITOR, "metrics, from the visitor")
    await pair.say(STAFF, "metrics, from staff")
    await pair.wait_caught_up()

    status, _, body = production.get("/metrics")
    assert status == 404
    assert b"helpline_" not in body

    texts = [metrics_text(w.metrics_port) for w in stack.workers]
    combined = "\n".join(texts)
    for endpoint in ("visitor", "staff"):
        open_sockets = re.findall(
            rf'^helpline_websockets{{endpoint="{endpoint}"}} (\S+)$', combined, re.M
        )
        assert sum(float(value) for value in open_sockets) >= 1, endpoint
    assert 'helpline_acks_total{duplicate="false",kind="envelope"}' in combined
    assert "helpline_ack_seconds_bucket" in combined
    for text in texts:
        assert metric_value(text, "helpline_database_up") == 1
        assert metric_value(text, "helpline_redis_up") == 1
        assert "helpline_queue_waiting " in text
        assert "helpline_queue_oldest_wait_seconds " in text
        assert "helpline_shift_open " in text

    def worker_ran_its_jobs() -> bool:
        text = metrics_text(production.jobs_metrics_port)
        return 'helpline_job_runs_total{job="expiry_job",result="ok"}' in text

    wait_until(worker_ran_its_jobs, timeout=60, what="the worker's job metrics")
    jobs_text = metrics_text(production.jobs_metrics_port)
    assert 'helpline_job_last_success_timestamp_seconds{job="shifts_job"}' in jobs_text
    shown = [line for line in combined.splitlines() if line.startswith("helpline_")]
    print("\n" + "\n".join(line for line in shown if "_bucket" not in line))


def test_no_client_address_in_caddys_or_the_workers_logs(production: Production) -> None:
    production.get("/healthz")
    own_addresses = re.compile(r"(Serving on|Metrics on) ")
    lines = [
        line
        for text in (production.stack.logs(), production.jobs_log.read_text())
        for line in text.splitlines()
        if not own_addresses.search(line)
    ]
    assert not [line for line in lines if "127.0.0.1" in line or "::1" in line]
    caddy_log = production.caddy_log.read_text()
    for field in ("remote_ip", "client_ip", "remote_addr", "User-Agent"):
        assert field not in caddy_log


# --- the install steps of docs/install.md that run here -----------------------------------


def test_the_install_steps_run_on_this_stack(trusting_caddy: Production) -> None:
    production = trusting_caddy
    stack = production.stack

    def manage(*arguments: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env={**stack.env, "SSL_CERT_FILE": str(production.ca_file)},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        print(f"\n$ manage.py {' '.join(arguments)}\n{done.stdout.strip()}")
        return done.stdout

    assert "no issues" in manage("check", "--deploy", "--fail-level", "WARNING")
    manage("staff_add", "coordination", "--label", "Coordination", "--coordinator",
           "--password-stdin", stdin="correct horse battery staple 42\n")  # fmt: skip
    manage("canned_load")
    assert "Self-help pages:" in manage("selfhelp_load")
    status, _, body = production.get("/.well-known/security.txt")
    assert status == 200 and b"Contact: mailto:security@example.org" in body
    # chat_smoke against the site, through Caddy, trusting its CA through SSL_CERT_FILE.
    assert "OK: encrypted round trip" in manage("chat_smoke", "--url", production.url)
