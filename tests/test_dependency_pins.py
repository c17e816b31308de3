"""Dependencies are pinned (issue 10): the Python lock is audited by pip-audit in CI
(.ci/run), and the npm side of the vendored HPKE bundle is pinned by exact version and
by integrity hash, so a registry that served other bytes would fail `npm ci`."""

from __future__ import annotations

import json
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
VENDOR = BASE_DIR / "chat" / "vendor-src"


def test_the_vendored_bundles_npm_dependencies_are_exact_versions():
    package = json.loads((VENDOR / "package.json").read_text())
    for name, version in package["devDependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)


def test_every_package_in_the_npm_lockfile_is_pinned_by_a_sha512_integrity_hash():
    lock = json.loads((VENDOR / "package-lock.json").read_text())
    packages = {path: entry for path, entry in lock["packages"].items() if path}
    assert packages
    for path, entry in packages.items():
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry.get("integrity", "")), path
        assert entry.get("version"), path


def test_ci_audits_the_python_lock_file():
    ci = (BASE_DIR / ".ci" / "run").read_text()
    assert 'uv" export --frozen' in ci or 'uv}" export --frozen' in ci
    assert "pip-audit -r" in ci and "--require-hashes" in ci
