"""The visitor's pages: the chat link, its embeddable variant, and quick exit.

Views only parse, check and render (STYLE.md habit 1). Everything the page's JS needs is
server-rendered as JSON with `json_script` (type application/json: data, never executed,
so the strict CSP holds). The page never stores anything on the phone by itself; the JS
does only when the visitor ticks "keep this conversation on this phone".
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from chat import selectors
from chat.crypto import suite1
from chat.hooks import hook
from chat.services.conversations import campaign_code_accepted
from widget.languages import WIDGET_LANGUAGES, language_codes, language_negotiate
from widget.link_opens import link_open_admit, link_open_same_origin
from widget.pages import pages_link
from widget.partners import partner_origins

# The tab and history title: says nothing about what the page is (DESIGN §1 — the phone
# may be checked by someone else). Configurable per helpline later.
PAGE_TITLE = "Messages"
CAMPAIGN_CODE_MAX = 32


def helpline_fingerprint() -> str | None:
    """The pinned admin fingerprint (hex), or None while the helpline is not set up
    (no admin key, or no current team key to open a conversation with)."""
    admin_key = selectors.admin_key_current()
    if admin_key is None or selectors.team_key_current(now=timezone.now()) is None:
        return None
    return suite1.admin_fingerprint(bytes(admin_key.public_key)).hex()


def campaign_shaped(code: str | None) -> str | None:
    """The link's code as the page passes it on (to `conversation.open`, to the link
    opened beacon), or None if no campaign code could look like it. Whether a campaign
    has this code is not said: the page is the same for any code, so that nobody can
    try codes to find the campaigns (the server decides at `conversation.open`, where
    an unknown code, an old sticker, opens the chat unattributed)."""
    if not code or len(code) > CAMPAIGN_CODE_MAX:
        return None
    return code


def campaign_for(code: str | None) -> str | None:
    """The campaign code to count, or None for an unknown or stale code."""
    shaped = campaign_shaped(code)
    return (campaign_code_accepted(shaped) or None) if shaped else None


def catalogue_urls() -> dict[str, str]:
    """Each language's catalogue, by the URL the static storage gives it (hashed once
    collected: the browser keeps it for good, docs/operations.md "Static files")."""
    return {code: static(f"widget/i18n/{code}.json") for code in language_codes()}


def association_shown() -> dict | None:
    """The association's name and one line, as its coordinator set them (ops), or None."""
    provider = hook("WIDGET_ASSOCIATION_PROVIDER")
    return provider() if provider is not None else None


def push_key() -> str | None:
    provider = hook("WIDGET_PUSH_KEY_HOOK")
    return provider() if provider is not None else None


def widget_render(request: HttpRequest, code: str | None, *, layout: str) -> HttpResponse:
    language = language_negotiate(request)
    fingerprint = helpline_fingerprint()
    campaign = campaign_shaped(code)
    catalogues = catalogue_urls()
    config = {
        "base_url": f"{request.scheme}://{request.get_host()}",
        "admin_fingerprint": fingerprint,
        "campaign": campaign,
        "language": language,
        "languages": [list(item) for item in WIDGET_LANGUAGES],
        "layout": layout,
        # Shift times (the next opening) are shown on the helpline's clock.
        "time_zone": settings.TIME_ZONE,
        # For "this conversation disappears after … days without messages".
        "expiry_days": settings.CHAT_IDLE_EXPIRY_DAYS,
        "exit_path": reverse("widget:bye"),
        # For the embed only: where the partner page goes on quick exit, and which
        # parent origins the iframe may talk to (postMessage names one of them).
        "exit_url": (
            request.build_absolute_uri(settings.WIDGET_EXIT_URL) if layout == "embed" else None
        ),
        "partner_origins": partner_origins() if layout == "embed" else [],
        # The VAPID public key when visitors may ask for push; null: not offered.
        "push_key": push_key(),
        "catalogues": catalogues,
        # Imported by the page's script once it runs (widget/bundle-src).
        "protocol_module": static("widget/dist/visitor-protocol.js"),
        # The Web Worker that solves a new conversation's proof of work.
        "pow_worker": static("widget/dist/visitor-pow-worker.js"),
    }
    context = {
        "config": config,
        "ready": fingerprint is not None,
        "language": language,
        "languages": WIDGET_LANGUAGES,
        "layout": layout,
        "page_title": PAGE_TITLE,
        "catalogue_url": catalogues[language],
        "association": association_shown(),
        "code": code,
        "pages": pages_link(code, language, layout=layout),
    }
    with translation.override(language):
        response = render(request, "widget/chat.html", context)
    # The conversation must not stay in the browser's cache, nor tell the next site
    # where the visitor came from.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


# The page holds no secret (no cookie, no token: a compression oracle has nothing to
# find) and is sent compressed on a slow line; behind Caddy it is left as it is.
@require_GET
@gzip_page
def chat_link(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """`/c/<code>`: the chat, at once, no account, no name."""
    return widget_render(request, code, layout="page")


@require_GET
@gzip_page
@xframe_options_exempt
def chat_embed(request: HttpRequest, code: str) -> HttpResponse:
    """`/c/<code>/embed`: the same chat, compact, for the iframe that embed.js opens.

    Only the partner origins of settings.WIDGET_PARTNER_ORIGINS may frame it (CSP
    `frame-ancestors`); with none configured it keeps `'none'` and X-Frame-Options DENY.
    """
    response = widget_render(request, code, layout="embed")
    origins = partner_origins()
    if origins:
        response.frame_ancestors = " ".join(origins)
    else:
        response["X-Frame-Options"] = "DENY"
    return response


@csrf_exempt
@require_POST
def link_opened(request: HttpRequest, code: str) -> HttpResponse:
    """`POST /c/<code>/opened`, empty: the chat page's script ran in a browser, so the
    link was opened by a person, not fetched for a preview (widget/link_opens.py). 204
    whatever the code; no cookie (no session, no CSRF token: nothing to protect here)."""
    if request.body:
        return HttpResponseBadRequest()
    hook = settings.WIDGET_LINK_OPENED_HOOK
    # The cheap checks first: a burst past the budget costs no database read either.
    if hook and link_open_same_origin(request) and link_open_admit():
        campaign = campaign_for(code)
        if campaign:
            import_string(hook)(code=campaign, day=timezone.localdate())
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def bye(request: HttpRequest) -> HttpResponse:
    """Quick exit lands here: the browser drops everything this origin stored (cache,
    cookies, IndexedDB, local and session storage), then goes somewhere harmless."""
    response = HttpResponseRedirect(settings.WIDGET_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
