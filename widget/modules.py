"""The ES modules a script loads, found by following its imports.

The self-help pages' scripts are served as they are (the chat's code is bundled,
widget/bundle-src): the service worker's offline copy must hold each module they import
(widget/pages.py). The list is computed from the files themselves, so a module added
to them is kept offline without anyone remembering to add it here.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders

# `import … from "./x.js"`, `export … from "../x.js"`, `import "./x.js"`,
# `import("./x.js")`: relative specifiers only (there is no import map, so bare ones
# cannot occur in code the browser runs).
IMPORT_PATTERN = re.compile(r"""\b(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"'\s]+)["']""")


def module_imports(path: str, source: str) -> list[str]:
    directory = posixpath.dirname(path)
    return [
        posixpath.normpath(posixpath.join(directory, specifier))
        for specifier in IMPORT_PATTERN.findall(source)
    ]


def module_graph_walk(entry: str) -> list[str]:
    """Static paths (relative to STATIC_URL) of `entry` and every module it imports,
    directly or not, statically or dynamically; entry first, then in discovery order.
    A specifier naming no file (a word in a comment) is skipped."""
    found: list[str] = []
    waiting = [entry]
    while waiting:
        path = waiting.pop(0)
        if path in found:
            continue
        absolute = finders.find(path)
        if absolute is None:
            continue
        found.append(path)
        with open(absolute, encoding="utf-8") as source:
            waiting += module_imports(path, source.read())
    return found


@lru_cache(maxsize=4)
def _graph_cached(entry: str) -> tuple[str, ...]:
    return tuple(module_graph_walk(entry))


def page_modules(entry: str) -> list[str]:
    """Cached for the life of the process, except under DEBUG (files change while
    someone develops)."""
    if settings.DEBUG:
        return module_graph_walk(entry)
    return list(_graph_cached(entry))
