from __future__ import annotations

from django.urls import path

from widget import pages, views

app_name = "widget"

# Campaign codes are 1–32 characters of A-Z a-z 0-9 _ - (docs/protocol.md §8.2): the
# `slug` converter. `/c/` alone opens an unattributed chat.
urlpatterns = [
    path("c/", views.chat_link, name="chat"),
    path("c/<slug:code>", views.chat_link, name="chat"),
    path("c/<slug:code>/embed", views.chat_embed, name="embed"),
    # The page's script, not a link preview's GET, says it was opened (POST, empty; 204).
    path("c/<slug:code>/opened", views.link_opened, name="opened"),
    path("bye", views.bye, name="bye"),
    # The self-help pages beside the chat (widget/pages.py); "-" is the code of no campaign.
    path("c/sw.js", pages.service_worker, name="service-worker"),
    path("c/<slug:code>/p/", pages.home, name="pages-home"),
    path("c/<slug:code>/p/offline.json", pages.offline_kit, name="pages-kit"),
    path("c/<slug:code>/p/manifest.webmanifest", pages.manifest, name="pages-manifest"),
    path("c/<slug:code>/p/<slug:section>", pages.section, name="pages-section"),
    path("c/<slug:code>/embed/p/", pages.embed_home, name="pages-embed-home"),
    path("c/<slug:code>/embed/p/<slug:section>", pages.embed_section, name="pages-embed-section"),
]
