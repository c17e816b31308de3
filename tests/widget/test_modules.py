"""The page preloads every ES module it runs (widget/modules.py)."""

from __future__ import annotations

from django.contrib.staticfiles import finders

from widget.modules import ENTRY, module_graph_walk, module_imports


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


def test_the_graph_holds_the_widget_and_the_protocol_modules():
    graph = module_graph_walk(ENTRY)
    assert graph[0] == ENTRY
    for module in ["widget/ui.js", "widget/i18n.js", "widget/store.js", "widget/parent.js"]:
        assert module in graph
    assert "chat/protocol/visitor.js" in graph
    assert "chat/crypto/index.js" in graph
    assert "chat/vendor/hpke-core.js" in graph
    assert all(finders.find(module) for module in graph)
    assert len(graph) == len(set(graph))


def test_the_page_preloads_the_whole_graph(client, helpline):
    content = client.get(f"/c/{helpline.campaign}").content.decode()
    for module in module_graph_walk(ENTRY):
        assert f'<link rel="modulepreload" href="/static/{module}">' in content
