"""The offline copy follows the pages' imports (widget/modules.py)."""

from __future__ import annotations

from django.contrib.staticfiles import finders

from widget.modules import module_graph_walk, module_imports
from widget.pages import PAGES_SCRIPT


def test_imports_are_found_in_every_form():
    source = """
        import { a } from "./a.js";
        import * as b from '../chat/b.js';
        export { c } from "./sub/c.js";
        import "./d.js";
        const e = await import("../chat/protocol/e.js");
        import { f } from "https://elsewhere.example/f.js";
    """
    assert module_imports("widget/app.js", source) == [
        "widget/a.js",
        "chat/b.js",
        "widget/sub/c.js",
        "widget/d.js",
        "chat/protocol/e.js",
    ]


def test_the_pages_graph_holds_what_the_pages_script_imports():
    graph = module_graph_walk(PAGES_SCRIPT)
    assert graph[0] == PAGES_SCRIPT
    for module in ["widget/pages/offline.js", "widget/parent.js", "widget/store.js"]:
        assert module in graph
    assert all(finders.find(module) for module in graph)
    assert len(graph) == len(set(graph))
