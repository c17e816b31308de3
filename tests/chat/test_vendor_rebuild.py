"""The vendored HPKE bundle is what chat/vendor-src builds, byte for byte (DESIGN §5).

chat/static/chat/vendor/hpke-core.js is served to every visitor's browser, so nobody
should have to trust it: the pinned versions and the lock file (with integrity hashes)
say exactly what went in, and a rebuild from them must give the committed bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
VENDOR_SRC = BASE_DIR / "chat" / "vendor-src"
VENDOR = BASE_DIR / "chat" / "static" / "chat" / "vendor"
BUILT = (
    "hpke-core.js",
    "LICENSE-hpke-core.txt",
    "LICENSE-hpke-common.txt",
    "altcha.js",
    "LICENSE-altcha-lib.txt",
)


def test_versions_are_pinned_exactly_and_locked_with_integrity():
    package = json.loads((VENDOR_SRC / "package.json").read_text())
    pins = package["devDependencies"]
    assert set(pins) == {"@hpke/core", "altcha-lib", "esbuild"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in pins.values())
    lock = json.loads((VENDOR_SRC / "package-lock.json").read_text())
    installed = {path: entry for path, entry in lock["packages"].items() if path}
    for name, version in pins.items():
        assert installed[f"node_modules/{name}"]["version"] == version
    assert all(entry.get("integrity", "").startswith("sha512-") for entry in installed.values())


def test_the_bundle_names_what_it_holds_and_keeps_the_licences():
    bundle = (VENDOR / "hpke-core.js").read_text()
    lock = json.loads((VENDOR_SRC / "package-lock.json").read_text())["packages"]
    core = lock["node_modules/@hpke/core"]["version"]
    common = lock["node_modules/@hpke/common"]["version"]
    assert bundle.startswith(f"// @hpke/core {core} with @hpke/common {common}, MIT licence")
    for licence in (name for name in BUILT if name.startswith("LICENSE")):
        assert "MIT License" in (VENDOR / licence).read_text()
    # Deterministic and private: the source paths esbuild notes are relative ones.
    sources = re.findall(r"^// (\S+\.js)$", bundle, re.MULTILINE)
    assert sources and all(path.startswith("node_modules/@hpke/") for path in sources)
    assert str(BASE_DIR) not in bundle


def test_the_altcha_bundle_names_its_version_and_holds_only_the_solver():
    bundle = (VENDOR / "altcha.js").read_text()
    lock = json.loads((VENDOR_SRC / "package-lock.json").read_text())["packages"]
    version = lock["node_modules/altcha-lib"]["version"]
    assert bundle.startswith(f"// altcha-lib {version} (its v1 solver), MIT licence")
    assert re.findall(r"^export \{\s*(\w+)\s*\};", bundle, re.MULTILINE) == ["solveChallenge"]
    assert str(BASE_DIR) not in bundle


@pytest.mark.integration
def test_a_rebuild_from_the_lock_file_is_byte_identical(tmp_path):
    """`npm ci && npm run build` in a copy of vendor-src (needs the npm registry)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot rebuild the vendored bundle")
    source = tmp_path / "vendor-src"
    shutil.copytree(VENDOR_SRC, source, ignore=shutil.ignore_patterns("node_modules"))
    out = tmp_path / "out"
    build = ["run", "build", "--", "--outdir", str(out)]
    for command in (["ci", "--no-audit", "--no-fund"], build):
        result = subprocess.run(
            [npm, *command], cwd=source, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"npm {' '.join(command)} failed:\n{result.stderr}"
    for name in BUILT:
        assert (out / name).read_bytes() == (VENDOR / name).read_bytes(), name
