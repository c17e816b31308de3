"""The self-help pages beside the chat: a short home (the chat button and the
sections), one page per section, the web app manifest, the service worker and the list
of what it keeps for reading offline.

Views only parse, check and render. The content comes, as safe HTML, from the provider
named by settings.WIDGET_PAGES_PROVIDER (ops/selfhelp/selectors.py); reading a page
writes nothing and counts nothing (docs/operations.md): no link-open count, no log, no
record of which answer was read. Pages are ``no-store`` like the chat: what the phone
keeps is the service worker's copy of *every* page of the language, made whatever was
read, so the copy says nothing of what was (widget/static/widget/pages/sw.js).

URLs sit under the chat link: ``/c/<code>/p/`` (home), ``/c/<code>/p/<section>``, and
the same under ``/c/<code>/embed/p/`` for the partner sites' iframe. ``-`` stands for
"no campaign" (the chat at ``/c/``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from widget.languages import WIDGET_LANGUAGES, language_negotiate
from widget.modules import page_modules
from widget.pages_strings import page_strings
from widget.partners import partner_origins

NO_CAMPAIGN = "-"
SECTIONS = ("health", "help", "rights", "about")
SERVICE_WORKER = "widget/pages/sw.js"
# What the offline copy keeps besides pages: the pages' script and what it imports,
# these files; and, for the chat, its two bundles (widget/bundle-src), its link to the
# pages and what that imports, these files and its catalogue.
PAGES_SCRIPT = "widget/pages/pages.js"
CHAT_LINK_SCRIPT = "widget/dist/visitor-pages-link.js"  # pages/chat-link.js, bundled
CHAT_BUNDLES = ("widget/dist/visitor-app.js", "widget/dist/visitor-protocol.js")
# What the chat page loads besides its modules (widget/templates/widget/chat.html).
CHAT_FILES = ("widget/widget.css", "widget/icon.svg", "widget/pages/chat-link.css")
DEFAULT_ICON = "widget/pages/app-icon-512.png"
SMALL_ICON = "widget/pages/app-icon-192.png"
PAGE_FILES = ("widget/pages/pages.css", "widget/icon.svg")


def pages_content(language: str) -> dict | None:
    provider = settings.WIDGET_PAGES_PROVIDER
    return import_string(provider)(language=language) if provider else None


def link_code(code: str | None) -> str:
    return code or NO_CAMPAIGN


def chat_url(code: str, language: str) -> str:
    path = reverse("widget:chat") if code == NO_CAMPAIGN else reverse("widget:chat", args=[code])
    return f"{path}?lang={language}"


def home_url(code: str, language: str, *, layout: str = "page") -> str:
    name = "widget:pages-embed-home" if layout == "embed" else "widget:pages-home"
    return f"{reverse(name, args=[code])}?lang={language}"


def section_url(code: str, section: str, language: str, *, layout: str = "page") -> str:
    name = "widget:pages-embed-section" if layout == "embed" else "widget:pages-section"
    return f"{reverse(name, args=[code, section])}?lang={language}"


def kit_url(code: str, language: str, *, chat: bool = False) -> str:
    return f"{reverse('widget:pages-kit', args=[code])}?lang={language}" + (
        "&chat=1" if chat else ""
    )


def pages_render(
    request: HttpRequest, code: str, *, section: str | None, layout: str
) -> HttpResponse:
    language = language_negotiate(request)
    content = pages_content(language)
    if content is None:
        raise Http404
    shown = None
    if section is not None:
        shown = next((item for item in content["sections"] if item["section"] == section), None)
        if shown is None:
            raise Http404
    chat = chat_url(code, language)
    if layout == "embed":
        chat = reverse("widget:embed", args=[code]) + f"?lang={language}"
    config = {
        "layout": layout,
        # The offline copy is made for the page itself, never inside a partner's iframe.
        "kit_url": kit_url(code, language) if layout == "page" else None,
        "service_worker": reverse("widget:service-worker"),
        "scope": "/c/",
        "exit_path": reverse("widget:bye"),
        "exit_url": (
            request.build_absolute_uri(settings.WIDGET_EXIT_URL) if layout == "embed" else None
        ),
        "partner_origins": partner_origins() if layout == "embed" else [],
    }
    context = {
        "app_name": settings.HELPLINE_APP_NAME,
        "config": config,
        "language": language,
        "languages": [
            (code_, name, f"{request.path}?lang={code_}") for code_, name in WIDGET_LANGUAGES
        ],
        "layout": layout,
        "strings": page_strings(language),
        "sections": [
            {**item, "url": section_url(code, item["section"], language, layout=layout)}
            for item in content["sections"]
        ],
        "section": shown,
        "home_url": home_url(code, language, layout=layout),
        "chat_url": chat,
        "manifest_url": (
            f"{reverse('widget:pages-manifest', args=[code])}?lang={language}"
            if layout == "page"
            else None
        ),
    }
    template = "widget/pages/section.html" if shown else "widget/pages/home.html"
    response = render(request, template, context)
    # As the chat: nothing of what was read in the browser's own cache, no referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Language"] = language
    if layout == "embed":
        origins = partner_origins()
        if origins:
            response.frame_ancestors = " ".join(origins)
        else:
            response["X-Frame-Options"] = "DENY"
    return response


@gzip_page
@require_GET
def home(request: HttpRequest, code: str) -> HttpResponse:
    """`/c/<code>/p/`: the chat button and the sections."""
    return pages_render(request, code, section=None, layout="page")


@gzip_page
@require_GET
def section(request: HttpRequest, code: str, section: str) -> HttpResponse:
    """`/c/<code>/p/<section>`: a section's short answers."""
    return pages_render(request, code, section=section, layout="page")


@gzip_page
@require_GET
@xframe_options_exempt
def embed_home(request: HttpRequest, code: str) -> HttpResponse:
    return pages_render(request, code, section=None, layout="embed")


@gzip_page
@require_GET
@xframe_options_exempt
def embed_section(request: HttpRequest, code: str, section: str) -> HttpResponse:
    return pages_render(request, code, section=section, layout="embed")


@lru_cache(maxsize=64)
def _files_digest(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        found = finders.find(path)
        digest.update(path.encode())
        if found:
            with open(found, "rb") as source:
                digest.update(source.read())
    return digest.hexdigest()


def files_digest(paths: tuple[str, ...]) -> str:
    """What the static files hold (not only their names: without hashed names a changed
    file keeps its URL). Cached per process except under DEBUG."""
    if settings.DEBUG:
        _files_digest.cache_clear()
    return _files_digest(paths)


def pages_files() -> tuple[str, ...]:
    return tuple(
        dict.fromkeys([*page_modules(PAGES_SCRIPT), *PAGE_FILES, settings.HELPLINE_APP_ICON])
    )


def chat_files(language: str) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            [
                *CHAT_BUNDLES,
                *page_modules(CHAT_LINK_SCRIPT),
                *CHAT_FILES,
                f"widget/i18n/{language}.json",
            ]
        )
    )


@gzip_page
@require_GET
def offline_kit(request: HttpRequest, code: str) -> JsonResponse:
    """`/c/<code>/p/offline.json?lang=xx[&chat=1]`: what the service worker keeps so
    that the pages open without a connection — every page of the language, whatever was
    read — and, asked from the chat page (``chat=1``: its code is on the phone already),
    the chat's page and code, so that it opens and says it is offline. ``version`` names
    the cache: it changes with anything kept (content or files), and a new version is a
    new copy, the old one deleted. A first visit to the pages does not fetch the chat's
    code (about 100 KB) in the background."""
    language = language_negotiate(request)
    content = pages_content(language)
    if content is None:
        raise Http404
    pages = [
        home_url(code, language),
        *(section_url(code, item["section"], language) for item in content["sections"]),
    ]
    files = pages_files()
    everything = files + chat_files(language)
    version = hashlib.sha256(
        "|".join([content["fingerprint"], files_digest(everything), *pages]).encode()
    ).hexdigest()[:16]
    if request.GET.get("chat") == "1":
        pages.append(chat_url(code, language))
        files = everything
    urls = [*pages, *dict.fromkeys(static(path) for path in files)]
    response = JsonResponse({"version": version, "urls": urls})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """`/c/sw.js`: the one service worker of the visitor's pages, scope `/c/`. Served
    from here, not /static/, because a worker's scope cannot reach above its own URL."""
    found = finders.find(SERVICE_WORKER)
    if found is None:
        raise Http404
    with open(found, "rb") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    # Checked at every navigation: a new worker (and its cache rules) is taken at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest, code: str) -> JsonResponse:
    """The web app manifest: "Add to home screen" gives an app with the association's
    chosen name and icon (neutral by default), opening on the home page."""
    language = language_negotiate(request)
    icons = [{"src": static(settings.HELPLINE_APP_ICON), "sizes": "512x512", "type": "image/png"}]
    if settings.HELPLINE_APP_ICON == DEFAULT_ICON:
        icons.append({"src": static(SMALL_ICON), "sizes": "192x192", "type": "image/png"})
    data = {
        "id": reverse("widget:pages-home", args=[code]),
        "name": settings.HELPLINE_APP_NAME,
        "short_name": settings.HELPLINE_APP_NAME[:12],
        "lang": language,
        "dir": "ltr",
        "start_url": home_url(code, language),
        "scope": "/c/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#ffffff",
        "icons": icons,
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


def pages_link(code: str | None, language: str, *, layout: str) -> dict | None:
    """What the chat page needs for its link to the pages (widget/templates/widget/
    pages/chat_link.html), or None when there are no pages."""
    if not settings.WIDGET_PAGES_PROVIDER:
        return None
    code = link_code(code)
    return {
        "home_url": home_url(code, language, layout=layout),
        "label": page_strings(language)["pages_link"],
        "config": {
            "labels": {each: page_strings(each)["pages_link"] for each, _name in WIDGET_LANGUAGES},
            "kit_url": kit_url(code, language, chat=True) if layout == "page" else None,
            "service_worker": reverse("widget:service-worker"),
        },
    }
