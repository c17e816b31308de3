"""Browser fixtures: Debian's Chromium through Playwright, and a live helpline to load.

`browser` is one Chromium for the whole run; `context` is a fresh profile per test
(cookies, storage); `page` is a tab in it. `helpline` is `manage.py serve` on the embedded
default (SQLite, in-memory channel layer) with the demo seeded: migrate and demo_seed run
once per run into a template directory, and every test gets its own copy, so tests never
see each other's conversations (`helpline_origin`: one per module, for the modules that
only load our JavaScript from it). Screenshots of failing tests go to
tests/browser/screenshots/ (git-ignored), made on demand.

Pages are loaded from the helpline's own origin and driven only through
`page.evaluate(...)` with `import()` of our modules: the pages carry the strict CSP (no
inline script), exactly as the widget and the dashboard will.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import Watched
from tests.conftest import embedded_environment, serve_start

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DB_NAME = "helpline.sqlite3"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser) -> Iterator[Any]:
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def page(context, request) -> Iterator[Any]:
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so `page` knows the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def watched(browser) -> Iterator[Any]:
    """Makes `Watched` browsers (tests/browser/pages.py), each closed after the test."""
    opened: list[Watched] = []

    def make(**options: Any) -> Watched:
        opened.append(Watched(browser, **options))
        return opened[-1]

    yield make
    for each in opened:
        each.close()


# -- a live helpline --------------------------------------------------------------------


def helpline_env(base_env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """The embedded default's environment, with its database and demo keys in data_dir."""
    return {
        **base_env,
        "DATABASE_URL": f"sqlite:///{data_dir / DB_NAME}",
        "SECRET_KEY": "browser-tests-only-" + "x" * 40,
        "CHAT_DEMO_DIR": str(data_dir / "demo"),
    }


@pytest.fixture(scope="session")
def static_collected(tmp_path_factory) -> dict[str, str]:
    """`collectstatic` once per run, as the image and `make run` do: the browser tests
    load hashed, compressed files with their production headers (config/settings.py,
    STATIC_COLLECTED). The variables that make a server use them."""
    root = tmp_path_factory.mktemp("static")
    variables = {"STATIC_COLLECTED": "true", "STATIC_ROOT": str(root)}
    leave_out = {"DATABASE_URL", "REDIS_URL"}
    env = {name: value for name, value in os.environ.items() if name not in leave_out}
    env.update(variables, DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="collectstatic")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    return variables


@pytest.fixture
def embedded_env(embedded_env, static_collected) -> dict[str, str]:
    """tests/conftest.py's, serving the collected static files."""
    return {**embedded_env, **static_collected}


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A migrated database with the demo seeded, made once per run (as `embedded_env` of
    tests/conftest.py, which is per test: what the test run points at is left out)."""
    data_dir = tmp_path_factory.mktemp("helpline-template")
    leave_out = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE"}
    base = {name: value for name, value in os.environ.items() if name not in leave_out}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env = helpline_env(base, data_dir)
    for command in (["migrate", "--no-input"], ["demo_seed"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    return data_dir


@dataclass
class Helpline:
    """A served helpline with the demo seeded: its URL and the demo's secrets."""

    served: Any  # tests/conftest.py's Served
    demo_dir: Path

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def demo(self) -> dict:
        return json.loads((self.demo_dir / "demo.json").read_text())

    @property
    def fingerprint(self) -> bytes:
        return bytes.fromhex(self.demo["fingerprint"])

    @property
    def device_file(self) -> Path:
        return self.demo_dir / "staff.device.json"


@pytest.fixture
def helpline(serve, embedded_env, seeded_template, tmp_path) -> Helpline:
    """`manage.py serve` on this test's own copy of the seeded database."""
    data_dir = tmp_path / "helpline"
    shutil.copytree(seeded_template, data_dir)
    served = serve(helpline_env(embedded_env, data_dir))
    return Helpline(served=served, demo_dir=data_dir / "demo")


@pytest.fixture(scope="module")
def helpline_origin(static_collected, seeded_template, tmp_path_factory) -> Iterator[Helpline]:
    """One served helpline for a whole module, as `helpline` makes one per test: for the
    modules that only load our JavaScript from its origin and never change what it holds
    (the crypto and return-code vectors), a server per test was all start-up."""
    directory = tmp_path_factory.mktemp("origin")
    data_dir = directory / "helpline"
    shutil.copytree(seeded_template, data_dir)
    served = serve_start(
        helpline_env({**embedded_environment(), **static_collected}, data_dir), directory
    )
    try:
        yield Helpline(served=served, demo_dir=data_dir / "demo")
    finally:
        served.stop()


# -- Python clients beside the browser --------------------------------------------------


class Background:
    """An asyncio loop in a thread, for the Python reference clients: the test thread
    drives the browser (Playwright's sync API) while the clients keep reading."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def background() -> Iterator[Background]:
    loop = Background()
    yield loop
    loop.close()
