"""The chat link, its embeddable variant and quick exit, through Django's test client.

Personas: the visitor's browser (a French phone unless a test says otherwise); a partner
site that may frame the chat; a site that may not.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

from ops.association import association_set
from widget.languages import WIDGET_LANGUAGES

PARTNER = "https://partner.example"


class PageParser(HTMLParser):
    """The parts of a page the tests look at: scripts, links, elements with a key."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict[str, str | None]] = []
        self.styled: list[str] = []
        self.translated: list[tuple[str, str, str]] = []  # (kind, key, value)
        self.html_lang: str | None = None
        self.title = ""
        self._open: list[tuple[str, dict]] = []
        self._text: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes or tag == "style":
            self.styled.append(tag)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "link":
            self.links.append(attributes)
        if "data-i18n-placeholder" in attributes:
            key = attributes["data-i18n-placeholder"]
            self.translated.append(("placeholder", key, attributes.get("placeholder") or ""))
        if "data-i18n-aria-label" in attributes:
            key = attributes["data-i18n-aria-label"]
            self.translated.append(("aria-label", key, attributes.get("aria-label") or ""))
        if tag in {"script", "title"} or "data-i18n" in attributes:
            self._open.append((tag, attributes))
            self._text.append([])

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, attributes = self._open.pop()
            text = "".join(self._text.pop())
            if tag == "script":
                self.scripts.append({**attributes, "text": text})
            elif tag == "title":
                self.title = text
            if "data-i18n" in attributes:
                self.translated.append(("text", attributes["data-i18n"], text.strip()))

    def handle_data(self, data: str) -> None:
        for text in self._text:
            text.append(data)


def page(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode("utf-8"))
    return parser


def widget_config(response) -> dict:
    scripts = [s for s in page(response).scripts if s.get("id") == "widget-config"]
    assert len(scripts) == 1
    assert scripts[0].get("type") == "application/json"
    return json.loads(scripts[0]["text"])


def catalogue(language: str) -> dict:
    with open(finders.find(f"widget/i18n/{language}.json"), encoding="utf-8") as source:
        return json.load(source)


# --- the chat link ----------------------------------------------------------------------


def test_the_chat_link_opens_at_once_and_is_never_cached(client, helpline):
    response = client.get(f"/c/{helpline.campaign}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_chat_link_carries_the_strict_csp_and_cannot_be_framed(client, helpline):
    response = client.get(f"/c/{helpline.campaign}")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_the_chat_link_sets_no_cookie(client, helpline):
    response = client.get(f"/c/{helpline.campaign}")
    assert not response.cookies


def test_the_only_inline_script_is_the_json_configuration(client, helpline):
    parsed = page(client.get(f"/c/{helpline.campaign}"))
    inline = [script for script in parsed.scripts if not script.get("src")]
    assert [script.get("type") for script in inline] == ["application/json"] * 2
    external = [script for script in parsed.scripts if script.get("src")]
    # The chat's bundle, and its link to the self-help pages (widget/pages.py).
    assert [(s["src"], s.get("type")) for s in external] == [
        ("/static/widget/dist/visitor-app.js", "module"),
        ("/static/widget/dist/visitor-pages-link.js", "module"),
    ]
    assert parsed.styled == []  # no style attribute or element: the CSP would refuse it


def test_the_configuration_pins_the_admin_fingerprint_and_names_the_campaign(client, helpline):
    config = widget_config(client.get(f"/c/{helpline.campaign}"))
    assert config["admin_fingerprint"] == helpline.fingerprint
    assert len(config["admin_fingerprint"]) == 64
    assert config["campaign"] == helpline.campaign
    assert config["base_url"] == "http://testserver"
    assert config["exit_path"] == "/bye"
    assert config["layout"] == "page"
    assert config["partner_origins"] == []
    assert [code for code, _ in config["languages"]] == [
        "fr",
        "en",
        "bg",
        "ro",
        "ru",
        "es",
        "pt-BR",
        "pt",
        "zh",
    ]
    # The strings and the protocol's bundle, by the URLs the static storage gives them.
    assert config["catalogues"]["pt-BR"] == "/static/widget/i18n/pt-BR.json"
    assert config["protocol_module"] == "/static/widget/dist/visitor-protocol.js"


@pytest.mark.parametrize("path", ["/c/", "/c/" + "x" * 40])
def test_no_code_or_one_no_campaign_could_have_opens_the_chat_without_one(client, helpline, path):
    response = client.get(path)
    assert response.status_code == 200
    config = widget_config(response)
    assert config["campaign"] is None
    assert config["admin_fingerprint"] == helpline.fingerprint


def test_a_chat_link_does_not_tell_whether_its_campaign_exists(client, helpline):
    """The page of an unknown code (an old sticker, or a guess) is that of a known one
    but for the code: the server decides at `conversation.open` (an unknown code opens
    the chat unattributed), and nobody can try codes here to find the campaigns."""
    known = client.get(f"/c/{helpline.campaign}")
    unknown = client.get("/c/old-sticker-2019")
    assert widget_config(unknown)["campaign"] == "old-sticker-2019"
    assert widget_config(known)["campaign"] == helpline.campaign
    strip = re.compile(r'nonce="[^"]*"')

    def same_page(response, code: str) -> str:
        return strip.sub("", response.content.decode().replace(code, "CODE"))

    assert same_page(known, helpline.campaign) == same_page(unknown, "old-sticker-2019")


def test_the_title_and_icon_say_nothing_about_the_page(client, helpline):
    parsed = page(client.get(f"/c/{helpline.campaign}"))
    assert parsed.title == "Messages"
    icons = [link["href"] for link in parsed.links if link.get("rel") == "icon"]
    assert icons == ["/static/widget/icon.svg"]
    assert finders.find("widget/icon.svg")


def test_the_association_is_named_discreetly_when_a_coordinator_set_it(client, helpline):
    assert 'class="association"' not in client.get(f"/c/{helpline.campaign}").content.decode()
    association_set(name="Aux captifs, la libération", line="Paris · captifs.fr")
    content = client.get(f"/c/{helpline.campaign}").content.decode()
    assert '<p class="association" id="association">Aux captifs, la libération' in content
    assert "Paris · captifs.fr" in content


def test_the_page_travels_compressed_to_a_browser_that_takes_it(client, helpline):
    response = client.get(f"/c/{helpline.campaign}", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert response["Cache-Control"] == "no-store"


def test_the_chat_link_answers_get_only(client, helpline):
    assert client.post(f"/c/{helpline.campaign}").status_code == 405


# --- languages ------------------------------------------------------------------------


def test_a_browser_without_preference_gets_french(client, helpline):
    response = client.get(f"/c/{helpline.campaign}")
    assert page(response).html_lang == "fr"
    assert widget_config(response)["language"] == "fr"
    assert "Vous pouvez nous écrire ici" in response.content.decode()
    assert "Quitter vite" in response.content.decode()


def test_an_english_browser_gets_english(client, helpline):
    response = client.get(f"/c/{helpline.campaign}", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5")
    assert page(response).html_lang == "en"
    assert widget_config(response)["language"] == "en"
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]
    assert "You can write to us here" in response.content.decode()
    assert "Quick exit" in response.content.decode()


def test_a_language_we_do_not_have_falls_back_to_the_next_choice(client, helpline):
    response = client.get(f"/c/{helpline.campaign}", HTTP_ACCEPT_LANGUAGE="uk,ru;q=0.8")
    assert widget_config(response)["language"] == "ru"
    response = client.get(f"/c/{helpline.campaign}", HTTP_ACCEPT_LANGUAGE="ar,tr;q=0.8")
    assert widget_config(response)["language"] == "fr"


@pytest.mark.parametrize(
    ("header", "language", "text"),
    [
        ("bg-BG,bg;q=0.9", "bg", "Бърз изход"),
        ("ro-RO", "ro", "Ieșire rapidă"),
        ("ru", "ru", "Быстрый выход"),
        ("es-ES", "es", "Salida rápida"),
        ("pt-BR", "pt-BR", "Saída rápida"),
        ("pt-PT", "pt", "Saída rápida"),
        ("zh-CN,zh;q=0.9", "zh", "快速离开"),
    ],
)
def test_a_browser_in_another_of_our_languages_gets_the_page_in_it(
    client, helpline, header, language, text
):
    response = client.get(f"/c/{helpline.campaign}", HTTP_ACCEPT_LANGUAGE=header)
    assert page(response).html_lang == language
    assert widget_config(response)["language"] == language
    assert response["Content-Language"] == language
    assert text in response.content.decode()


def test_the_lang_parameter_wins_over_the_browser(client, helpline):
    response = client.get(f"/c/{helpline.campaign}?lang=en", HTTP_ACCEPT_LANGUAGE="fr")
    assert widget_config(response)["language"] == "en"


def test_the_page_offers_a_switch_to_every_language(client, helpline):
    content = client.get(f"/c/{helpline.campaign}").content.decode()
    for code, name in WIDGET_LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in content
        assert name in content


@pytest.mark.parametrize("language", [code for code, _ in WIDGET_LANGUAGES])
def test_server_rendered_strings_are_the_js_catalogue_strings(client, helpline, language):
    """The JS re-renders these on a language switch: both must say the same thing."""
    parsed = page(client.get(f"/c/{helpline.campaign}?lang={language}"))
    strings = catalogue(language)
    assert len(parsed.translated) >= 10
    for kind, key, value in parsed.translated:
        assert value == strings[key], (kind, key)


# --- not set up yet ----------------------------------------------------------------------


def test_a_helpline_without_keys_says_the_chat_is_not_available_yet(client, db):
    response = client.get("/c/TOURNEE1")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    assert "pas encore ouverte" in content
    assert page(response).scripts == []  # nothing to run, no configuration to pin


def test_the_not_available_page_speaks_english_too(client, db):
    response = client.get("/c/TOURNEE1", HTTP_ACCEPT_LANGUAGE="en")
    assert "this chat is not available yet" in response.content.decode()


def test_an_admin_key_without_a_team_key_is_not_ready_either(client, helpline_without_team_key):
    response = client.get("/c/TOURNEE1")
    assert "pas encore ouverte" in response.content.decode()
    assert page(response).scripts == []


# --- the embeddable chat ------------------------------------------------------------------


def test_the_embed_may_be_framed_by_the_configured_partners_only(client, helpline, settings):
    settings.WIDGET_PARTNER_ORIGINS = [PARTNER, "http://localhost:8080"]
    response = client.get(f"/c/{helpline.campaign}/embed")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = policy.split("; ")
    assert f"frame-ancestors {PARTNER} http://localhost:8080" in directives
    assert "unsafe-inline" not in policy
    assert "X-Frame-Options" not in response
    assert response["Cache-Control"] == "no-store"
    config = widget_config(response)
    assert config["layout"] == "embed"
    assert config["partner_origins"] == [PARTNER, "http://localhost:8080"]
    assert config["exit_url"] == settings.WIDGET_EXIT_URL


def test_the_embed_cannot_be_framed_when_no_partner_is_configured(client, helpline, settings):
    settings.WIDGET_PARTNER_ORIGINS = []
    response = client.get(f"/c/{helpline.campaign}/embed")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_malformed_partner_origin_never_reaches_the_csp(client, helpline, settings):
    settings.WIDGET_PARTNER_ORIGINS = ["https://evil.example; script-src *"]
    response = client.get(f"/c/{helpline.campaign}/embed")
    policy = response["Content-Security-Policy"]
    assert "evil" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_full_page_chat_ignores_the_partner_list(client, helpline, settings):
    settings.WIDGET_PARTNER_ORIGINS = [PARTNER]
    response = client.get(f"/c/{helpline.campaign}")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert widget_config(response)["partner_origins"] == []


def test_embed_js_may_be_loaded_by_partner_sites(client):
    response = client.get("/static/widget/embed.js")
    assert response.status_code == 200
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_the_chat_modules_stay_same_origin(client):
    response = client.get("/static/widget/app.js")
    assert response.status_code == 200
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


# --- quick exit -----------------------------------------------------------------------------


def test_quick_exit_clears_the_site_data_and_leaves_for_the_exit_page(client, settings):
    settings.WIDGET_EXIT_URL = "https://weather.example/paris"
    response = client.get("/bye")
    assert response.status_code == 302
    assert response["Location"] == "https://weather.example/paris"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
