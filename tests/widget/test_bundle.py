"""The visitor page's bundles are what widget/bundle-src builds from the sources as they
are (docs/operations.md, "Static files").

widget/static/widget/dist/ is what every visitor's browser runs, built from the ES
modules beside it and from chat/static/chat/: a source changed without a rebuild would
ship the old code. Each bundle's first lines carry the SHA-256 of its sources, checked
here without node; a rebuild from the lock file must give the committed bytes (that
test needs the npm registry).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
BUNDLE_SRC = BASE_DIR / "widget" / "bundle-src"
DIST = BASE_DIR / "widget" / "static" / "widget" / "dist"
ENTRIES = {
    "visitor-app.js": "widget/static/widget/app.js",
    "visitor-protocol.js": "widget/bundle-src/protocol.js",
    "visitor-pow-worker.js": "widget/bundle-src/pow-worker.js",
    "visitor-pages-link.js": "widget/static/widget/pages/chat-link.js",
}
REBUILD = "cd widget/bundle-src && npm ci && npm run build"
# `import … from "./x.js"`, `export … from "../x.js"`, `import "./x.js"`,
# `import("./x.js")`: the relative specifiers esbuild follows.
IMPORT = re.compile(r"""\b(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"'\s]+)["']""")


def sources_of(entry: str) -> list[str]:
    """The entry and every module it imports, as paths from the repository root."""
    found: list[str] = []
    waiting = [entry]
    while waiting:
        path = waiting.pop()
        if path in found or not (BASE_DIR / path).is_file():
            continue  # a specifier in a comment names no file
        found.append(path)
        text = (BASE_DIR / path).read_text(encoding="utf-8")
        directory = posixpath.dirname(path)
        waiting += [posixpath.normpath(posixpath.join(directory, s)) for s in IMPORT.findall(text)]
    return sorted(found)


def sources_hash(paths: list[str]) -> str:
    """As widget/bundle-src/build.mjs computes it."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode() + b"\0")
        digest.update((BASE_DIR / path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@pytest.mark.parametrize("bundle", sorted(ENTRIES))
def test_each_bundle_was_built_from_the_sources_as_they_are(bundle):
    header = (DIST / bundle).read_text(encoding="utf-8").split("\n", 3)
    assert header[0].startswith(f"// {bundle}: the visitor page's modules, bundled by")
    built_from = header[1].removeprefix("// sources-sha256 ")
    assert built_from == sources_hash(sources_of(ENTRIES[bundle])), f"run: {REBUILD}"


def test_the_protocol_bundle_holds_the_vendored_hpke_and_names_its_licence():
    assert "chat/static/chat/vendor/hpke-core.js" in sources_of(ENTRIES["visitor-protocol.js"])
    third_line = (DIST / "visitor-protocol.js").read_text(encoding="utf-8").split("\n")[2]
    assert third_line.startswith("// @hpke/core ") and "MIT licence" in third_line
    # The page's own bundle leaves the protocol to the second one.
    assert not any("/chat/" in path for path in sources_of(ENTRIES["visitor-app.js"]))


def test_the_worker_holds_altchas_solver_as_a_classic_script_and_names_its_licence():
    """Issue 15: a Web Worker solves the open challenge; a classic script (no import or
    export left) loads in the workers of every browser."""
    assert "chat/static/chat/vendor/altcha.js" in sources_of(ENTRIES["visitor-pow-worker.js"])
    lines = (DIST / "visitor-pow-worker.js").read_text(encoding="utf-8").split("\n")
    assert lines[2].startswith("// altcha-lib ") and "MIT licence" in lines[2]
    code = "\n".join(lines[3:])
    assert code.startswith("(()=>{") and not re.search(r"\b(import|export)\b", code)


def test_esbuild_is_pinned_exactly_and_locked_with_integrity():
    pins = json.loads((BUNDLE_SRC / "package.json").read_text())["devDependencies"]
    assert set(pins) == {"esbuild"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", pins["esbuild"])
    lock = json.loads((BUNDLE_SRC / "package-lock.json").read_text())
    installed = {path: entry for path, entry in lock["packages"].items() if path}
    assert installed["node_modules/esbuild"]["version"] == pins["esbuild"]
    assert all(entry.get("integrity", "").startswith("sha512-") for entry in installed.values())


@pytest.mark.integration
def test_a_rebuild_from_the_lock_file_is_byte_identical(tmp_path):
    """`npm ci && npm run build` in a copy of the sources (needs the npm registry)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot rebuild the bundles")
    copy = tmp_path / "repo"
    shutil.copytree(
        BUNDLE_SRC, copy / "widget" / "bundle-src", ignore=shutil.ignore_patterns("node_modules")
    )
    shutil.copytree(
        BASE_DIR / "widget" / "static" / "widget", copy / "widget" / "static" / "widget"
    )
    shutil.copytree(BASE_DIR / "chat" / "static" / "chat", copy / "chat" / "static" / "chat")
    out = tmp_path / "out"
    for command in (
        ["ci", "--no-audit", "--no-fund"],
        ["run", "build", "--", "--outdir", str(out)],
    ):
        result = subprocess.run(
            [npm, *command],
            cwd=copy / "widget" / "bundle-src",
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"npm {' '.join(command)} failed:\n{result.stderr}"
    for bundle in ENTRIES:
        assert (out / bundle).read_bytes() == (DIST / bundle).read_bytes(), bundle
