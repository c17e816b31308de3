"""The self-help pages a visitor reads (widget/pages.py), through Django's test client:
the home and the sections in the visitor's language, nothing counted, nothing kept in
the browser's cache, the offline copy's list and version, the service worker, the
manifest (neutral by default), the embed's framing, the chat page's link."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from audit.models import AuditEntry
from ops.models import ActivityDay, CampaignOpenDay
from ops.selfhelp.models import SelfHelpText
from widget.languages import language_codes
from widget.pages_strings import PAGE_STRINGS

PARTNER = "https://partner.example"
# A phone someone else may look at: none of these on the installed app.
GIVEAWAYS = ("sex", "prostitu", "helpline", "travail du sexe", "aide", "santé", "health")


@pytest.fixture
def pages(helpline):
    call_command("canned_load", verbosity=0)
    call_command("selfhelp_load", verbosity=0)
    return helpline


def test_the_home_has_the_chat_button_and_the_four_sections(client, pages):
    response = client.get(f"/c/{pages.campaign}/p/?lang=bg")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/c/{pages.campaign}?lang=bg" id="chat-button"' in page
    for section, title in (
        ("health", "Здраве"),
        ("help", "Нужда от помощ?"),
        ("rights", "Имам права"),
        ("about", "Кои сме ние"),
    ):
        assert f'href="/c/{pages.campaign}/p/{section}?lang=bg"' in page
        assert title in page
    assert response["Content-Language"] == "bg"


def test_a_section_lists_short_answers_with_tappable_numbers(client, pages):
    page = client.get(f"/c/{pages.campaign}/p/help?lang=fr").content.decode()
    assert '<h1 lang="fr">Besoin d&#x27;aide ?</h1>' in page
    assert '<a href="tel:3919" rel="noopener noreferrer">3919</a>' in page
    assert '<a href="sms:114" rel="noopener noreferrer">114</a>' in page
    assert "116 006 : aide aux victimes" in page  # the canned reply's own text


def test_reading_pages_changes_no_count(client, pages):
    audited = AuditEntry.objects.count()
    for path in ("p/", "p/health", "p/rights", "p/offline.json", "p/manifest.webmanifest"):
        assert client.get(f"/c/{pages.campaign}/{path}?lang=ro").status_code == 200
    assert not CampaignOpenDay.objects.exists()
    assert not ActivityDay.objects.exists()
    assert AuditEntry.objects.count() == audited


def test_pages_are_not_kept_in_the_browser_cache_nor_say_where_the_visitor_was(client, pages):
    response = client.get(f"/c/{pages.campaign}/p/rights?lang=ru")
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"


def test_an_unknown_section_is_not_found(client, pages):
    assert client.get(f"/c/{pages.campaign}/p/secrets").status_code == 404


def test_a_section_page_is_small(client, pages):
    """The biggest section, compressed as sent: well under the 30 KB budget of a first
    visit (the browser test measures the whole load)."""
    for language in language_codes():
        response = client.get(
            f"/c/{pages.campaign}/p/health?lang={language}", HTTP_ACCEPT_ENCODING="gzip"
        )
        assert response["Content-Encoding"] == "gzip"
        assert len(response.content) < 12_000, (language, len(response.content))
        assert len(gzip.decompress(response.content)) > 10_000


def test_the_offline_list_is_every_page_of_the_language_and_the_chat_only_when_asked(client, pages):
    kit = client.get(f"/c/{pages.campaign}/p/offline.json?lang=bg").json()
    code = pages.campaign
    assert kit["urls"][:5] == [f"/c/{code}/p/?lang=bg"] + [
        f"/c/{code}/p/{s}?lang=bg" for s in ("health", "help", "rights", "about")
    ]
    assert f"/c/{code}?lang=bg" not in kit["urls"]
    assert "/static/widget/pages/pages.css" in kit["urls"]
    assert "/static/widget/dist/visitor-protocol.js" not in kit["urls"]  # the chat's code
    with_chat = client.get(f"/c/{code}/p/offline.json?lang=bg&chat=1").json()
    assert with_chat["version"] == kit["version"]
    assert f"/c/{code}?lang=bg" in with_chat["urls"]
    assert "/static/widget/dist/visitor-app.js" in with_chat["urls"]
    assert "/static/widget/dist/visitor-protocol.js" in with_chat["urls"]
    assert "/static/widget/i18n/bg.json" in with_chat["urls"]


def test_the_offline_version_changes_with_the_content(client, pages):
    url = f"/c/{pages.campaign}/p/offline.json?lang=bg"
    before = client.get(url).json()["version"]
    assert client.get(url).json()["version"] == before
    SelfHelpText.objects.filter(answer__key="prep", language="bg").update(where="[112](tel:112)")
    assert client.get(url).json()["version"] != before


def test_the_service_worker_is_served_for_the_chat_links_scope(client):
    response = client.get("/c/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert b'addEventListener("fetch"' in response.content


def test_the_manifest_is_neutral_by_default_and_opens_on_the_home_page(client, pages):
    response = client.get(f"/c/{pages.campaign}/p/manifest.webmanifest?lang=bg")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Messages" and manifest["short_name"] == "Messages"
    assert manifest["start_url"] == f"/c/{pages.campaign}/p/?lang=bg"
    assert manifest["scope"] == "/c/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"512x512", "192x192"}
    text = json.dumps(manifest).lower()
    assert not any(word in text for word in GIVEAWAYS)


@override_settings(HELPLINE_APP_NAME="ROSE", HELPLINE_APP_ICON="widget/icon.svg")
def test_the_association_chooses_the_name_and_icon(client, pages):
    manifest = client.get(f"/c/{pages.campaign}/p/manifest.webmanifest").json()
    assert manifest["name"] == "ROSE"
    assert [icon["src"] for icon in manifest["icons"]] == ["/static/widget/icon.svg"]


@override_settings(WIDGET_PARTNER_ORIGINS=[PARTNER])
def test_the_embed_pages_may_be_framed_by_partners_and_keep_no_offline_copy(client, pages):
    response = client.get(f"/c/{pages.campaign}/embed/p/health?lang=es")
    assert response.status_code == 200
    assert f"frame-ancestors {PARTNER}" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    page = response.content.decode()
    assert f'href="/c/{pages.campaign}/embed?lang=es" id="chat-button"' in page
    assert '"kit_url": null' in page and 'rel="manifest"' not in page


def test_the_chat_page_links_to_the_pages_in_its_language(client, pages):
    page = client.get(f"/c/{pages.campaign}?lang=ro").content.decode()
    assert f'href="/c/{pages.campaign}/p/?lang=ro" id="pages-link"' in page
    assert "Sănătate, ajutor, drepturi: citește" in page
    assert f"/c/{pages.campaign}/p/offline.json?lang=ro\\u0026chat=1" in page


def test_the_chat_without_a_campaign_links_to_pages_without_one(client, pages):
    page = client.get("/c/?lang=en").content.decode()
    assert 'href="/c/-/p/?lang=en" id="pages-link"' in page
    assert client.get("/c/-/p/?lang=en").status_code == 200


def test_every_widget_language_has_the_pages_strings():
    keys = set(PAGE_STRINGS["en"])
    for language in language_codes():
        assert set(PAGE_STRINGS[language]) == keys, language
