"""Imports point down (issue 19): read every import of the source tree with ``ast`` —
at module level, inside functions and under ``TYPE_CHECKING`` alike — and check the
rules below. A rule names who may not import whom; the failure lists each edge as
``file:line importer -> imported``.

- the chat server (``chat``) never imports the staff side (``ops``), nor does ``audit``:
  ``ops`` plugs into them through hooks and settings;
- the reference client (``chat/client/``) imports nothing of the server but what a
  second implementation would share: ``chat/crypto`` and ``chat/protocol``;
- the server's modules do not import the reference client (its management commands,
  which are operators' tools, may);
- events and selectors sit below the services: they import no service;
- production code and the benchmarks import nothing from ``tests``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGES = ("chat", "audit", "ops", "config", "bench", "tests")


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    where: str

    def __str__(self) -> str:
        return f"{self.where} {self.importer} -> {self.imported}"


def module_name(path: Path, root: Path = BASE_DIR) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, *, root: Path = BASE_DIR, source: str | None = None) -> list[Edge]:
    """Every import in one file (or in ``source``, read as if it stood in that file)."""
    importer = module_name(path, root)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    source = path.read_text() if source is None else source
    edges = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            edges += [Edge(importer, alias.name, where) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from chat import selectors` imports chat.selectors: count both names.
            edges.append(Edge(importer, module, where))
            edges += [Edge(importer, f"{module}.{alias.name}", where) for alias in node.names]
    return edges


def import_graph(root: Path = BASE_DIR) -> list[Edge]:
    edges = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "node_modules" not in path.parts:
                edges += imports_of(path)
    return edges


def within(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def chat_server(module: str) -> bool:
    return within(module, "chat") and not within(module, "chat.client", "chat.management")


def is_service(module: str) -> bool:
    return ".services" in f".{module}" or module.endswith(".services")


def layer_of(module: str) -> str | None:
    """``events``/``selectors`` for such a module (a file or a package), else None."""
    last = module.rsplit(".", 1)[-1]
    return last if last in {"events", "selectors"} else None


# (what the rule says, does it apply to this importer, is this import forbidden)
RULES = [
    (
        "chat never imports ops",
        lambda importer: within(importer, "chat"),
        lambda imported: within(imported, "ops"),
    ),
    (
        "audit never imports ops",
        lambda importer: within(importer, "audit"),
        lambda imported: within(imported, "ops"),
    ),
    (
        "the reference client imports only chat.client, chat.crypto and chat.protocol of chat",
        lambda importer: within(importer, "chat.client"),
        lambda imported: (
            within(imported, "chat")
            and not within(imported, "chat.client", "chat.crypto", "chat.protocol")
        ),
    ),
    (
        "the chat server does not import the reference client",
        chat_server,
        lambda imported: within(imported, "chat.client"),
    ),
    (
        "chat's events and selectors import no service",
        lambda importer: within(importer, "chat") and layer_of(importer) is not None,
        lambda imported: within(imported, "chat") and is_service(imported),
    ),
    (
        "production code and the benchmarks import nothing from tests",
        lambda importer: not within(importer, "tests"),
        lambda imported: within(imported, "tests"),
    ),
]


def violations(edges: list[Edge]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rule, applies, forbidden in RULES:
        hits = sorted({str(e) for e in edges if applies(e.importer) and forbidden(e.imported)})
        if hits:
            found[rule] = hits
    return found


def test_imports_point_down() -> None:
    found = violations(import_graph())
    assert not found, "\n".join(f"{rule}:\n  " + "\n  ".join(hits) for rule, hits in found.items())


def test_the_graph_reads_every_kind_of_import(tmp_path: Path) -> None:
    """The reader sees imports inside functions, relative ones and `from x import y`."""
    source = tmp_path / "chat" / "selectors.py"
    source.parent.mkdir()
    source.write_text(
        "def f():\n    from chat.services.commits import x\n"
        "from .services import devices\n"
        "import ops.models\n"
    )
    edges = imports_of(source, root=tmp_path)
    imported = {e.imported for e in edges}
    assert {"chat.services.commits", "chat.services.devices", "ops.models"} <= imported
    assert set(violations(edges)) == {
        "chat never imports ops",
        "chat's events and selectors import no service",
    }


@pytest.mark.parametrize(
    ("importer", "line"),
    [
        ("chat/management/commands/demo_seed.py", "from ops import clock"),
        ("audit/views.py", "from ops.views import forbidden"),
        ("audit/views.py", "from ops import selectors"),
        ("chat/events.py", "from chat.services.commits import CommitAccepted"),
        (
            "chat/selectors.py",
            "def f():\n    from chat.services.commits import interpreter_admitted",
        ),
        ("chat/client/staff.py", "from chat.services.devices import device_auth_message"),
        ("chat/keyring.py", "from chat.client.keys import AdminKeys"),
        ("bench/stack.py", "from tests.livestack import LiveStack"),
    ],
)
def test_each_old_back_edge_is_refused(importer: str, line: str) -> None:
    """Each back-edge removed for issue 19, put back in its file, breaks a rule."""
    back = imports_of(BASE_DIR / importer, source=line)
    assert violations(back) != {}, back
