"""Headers WhiteNoise adds to the widget's static files (settings.WHITENOISE_ADD_HEADERS_FUNCTION).

Every response gets `Cross-Origin-Resource-Policy: same-origin` from
config.security.SecurityHeadersMiddleware (which only sets it when absent). `embed.js`
is the one file other sites must load — a partner page includes it with a plain
`<script src>` — so it alone is marked `cross-origin`. The chat page it opens in an
iframe is a navigation, which CORP does not govern; framing is ruled by CSP
`frame-ancestors` (widget/views.py).

Imported by config/settings.py, so it must not import Django.
"""

from __future__ import annotations

from collections.abc import MutableMapping

EMBED_SCRIPT_URL_SUFFIX = "/widget/embed.js"


def static_headers_add(headers: MutableMapping[str, str], path: str, url: str) -> None:
    if url.endswith(EMBED_SCRIPT_URL_SUFFIX):
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
