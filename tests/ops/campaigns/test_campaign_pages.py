"""Campaign pages (issue 8): coordinators create and edit; staff see the links, QR codes
and stickers and record how many messages a round sent; interpreters, accounts without
a staff profile and anonymous visitors are refused. The QR code decodes back to the
chat link."""

from __future__ import annotations

import re
from datetime import date

import pytest

from chat.crypto import suite1
from ops.campaigns.services import campaign_create
from ops.models import Campaign
from tests.ops.conftest import AT
from tests.qr_decode import qr_decode_png

pytestmark = pytest.mark.django_db
NEW = {
    "name": "Vivastreet, mardi soir",
    "channel": "site",
    "place": "Vivastreet",
    "date": "2026-06-16",
    "team": "Équipe du soir",
    "language": "bg",
    "message": "Здравей! Пишете ни анонимно: {link}",
    "skill": "",
}


@pytest.fixture
def round_campaign(db) -> Campaign:
    return campaign_create(name="Grindr, juin", now=AT, channel="app", place="Grindr")


@pytest.fixture
def sticker_campaign(db) -> Campaign:
    return campaign_create(name="Stickers gare", now=AT, channel="sticker", place="Gare")


def test_a_coordinator_creates_a_campaign_with_an_unguessable_code(coordinator):
    response = coordinator.client.post("/staff/campaigns/new", NEW)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/campaigns/{campaign.pk}/"
    assert (campaign.place, campaign.team, campaign.language) == (
        "Vivastreet",
        "Équipe du soir",
        "bg",
    )
    assert (
        len(campaign.code) == 8 and campaign.code[0] not in "-_" and campaign.code[-1] not in "-_"
    )
    page = coordinator.client.get(response["Location"]).content.decode()
    link = f"http://testserver/c/{campaign.code}?lang=bg"
    assert f"Пишете ни анонимно: {link}" in page


def test_a_campaign_form_with_errors_creates_nothing(coordinator):
    response = coordinator.client.post(
        "/staff/campaigns/new", {**NEW, "name": "", "channel": "fax"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_coordinator_edits_a_campaign_but_never_its_code(coordinator, round_campaign):
    code = round_campaign.code
    response = coordinator.client.post(
        f"/staff/campaigns/{round_campaign.pk}/", {**NEW, "name": "Grindr, juillet", "code": "mine"}
    )
    assert response.status_code == 302
    round_campaign.refresh_from_db()
    assert (round_campaign.name, round_campaign.code) == ("Grindr, juillet", code)


def test_the_edit_form_shows_the_round_date_as_a_browser_reads_a_date(coordinator):
    """In French too (yyyy-mm-dd, never 16/06/2026): saved as shown, the date stays."""
    coordinator.client.post("/staff/campaigns/new", NEW)
    campaign = Campaign.objects.get()
    page = coordinator.client.get(
        f"/staff/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert 'type="date" name="date" value="2026-06-16"' in page


@pytest.mark.parametrize("who", ["nurse", "interpreter"])
def test_only_coordinators_create_or_edit(request, who, round_campaign):
    client = request.getfixturevalue(who).client
    assert client.post("/staff/campaigns/new", NEW).status_code == 403
    assert client.post(f"/staff/campaigns/{round_campaign.pk}/", NEW).status_code == 403
    round_campaign.refresh_from_db()
    assert round_campaign.name == "Grindr, juin"
    assert Campaign.objects.count() == 1


def test_staff_record_how_many_messages_a_round_sent(nurse, round_campaign):
    response = nurse.client.post(
        f"/staff/campaigns/{round_campaign.pk}/sent", {"messages_sent": "661"}
    )
    assert response.status_code == 302
    round_campaign.refresh_from_db()
    assert round_campaign.messages_sent == 661


@pytest.mark.parametrize("value", ["-1", "a phone: 0612345678", "", "10000001"])
def test_a_sent_count_is_a_number_and_nothing_else(nurse, round_campaign, value):
    response = nurse.client.post(
        f"/staff/campaigns/{round_campaign.pk}/sent", {"messages_sent": value}
    )
    assert response.status_code == 400
    round_campaign.refresh_from_db()
    assert round_campaign.messages_sent is None


def test_a_standing_campaign_has_no_sent_count(nurse, sticker_campaign):
    response = nurse.client.post(
        f"/staff/campaigns/{sticker_campaign.pk}/sent", {"messages_sent": "5"}
    )
    assert response.status_code == 400
    sticker_campaign.refresh_from_db()
    assert sticker_campaign.messages_sent is None


def test_interpreters_and_outsiders_cannot_record_sent_counts(
    interpreter, outsider, client, round_campaign
):
    path = f"/staff/campaigns/{round_campaign.pk}/sent"
    assert interpreter.client.post(path, {"messages_sent": "9"}).status_code == 403
    assert outsider.post(path, {"messages_sent": "9"}).status_code == 403
    anonymous = client.post(path, {"messages_sent": "9"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login/")
    round_campaign.refresh_from_db()
    assert round_campaign.messages_sent is None


@pytest.mark.parametrize(
    "path", ["/staff/campaigns/", "/staff/campaigns/{pk}/qr.png", "/staff/campaigns/{pk}/sticker"]
)
def test_interpreters_outsiders_and_anonymous_see_no_campaign(
    interpreter, outsider, client, round_campaign, path
):
    path = path.format(pk=round_campaign.pk)
    for asking in (interpreter.client, outsider):
        response = asking.get(path)
        assert response.status_code == 403
        assert round_campaign.code not in response.content.decode(errors="replace")
    assert client.get(path).status_code == 302


def test_staff_see_the_campaigns_and_only_coordinators_the_edit_links(
    nurse, coordinator, round_campaign
):
    staff_page = nurse.client.get("/staff/campaigns/").content.decode()
    assert f"/c/{round_campaign.code}" in staff_page
    assert f'href="/staff/campaigns/{round_campaign.pk}/"' not in staff_page
    assert "/staff/campaigns/new" not in staff_page
    coordinator_page = coordinator.client.get("/staff/campaigns/").content.decode()
    assert f'href="/staff/campaigns/{round_campaign.pk}/"' in coordinator_page


def test_the_png_qr_code_decodes_back_to_the_chat_link(nurse, round_campaign):
    response = nurse.client.get(f"/staff/campaigns/{round_campaign.pk}/qr.png")
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]
    assert qr_decode_png(response.content) == [f"http://testserver/c/{round_campaign.code}"]


def test_the_svg_qr_code_is_an_svg_of_the_same_link(nurse, round_campaign):
    response = nurse.client.get(f"/staff/campaigns/{round_campaign.pk}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and f"/c/{round_campaign.code}" in svg  # its <title>
    assert nurse.client.get(f"/staff/campaigns/{round_campaign.pk}/qr.gif").status_code == 404


def test_the_sticker_sheet_has_the_chosen_languages_and_the_admin_fingerprint(
    nurse, admin, sticker_campaign
):
    response = nurse.client.get(
        f"/staff/campaigns/{sticker_campaign.pk}/sticker", {"languages": ["bg", "zh"]}
    )
    page = response.content.decode()
    assert 'lang="bg"' in page and 'lang="zh"' in page and 'lang="ro"' not in page
    assert suite1.fingerprint_display(suite1.admin_fingerprint(admin.public)) in page
    assert page.count('class="sticker"') == 8
    assert "👋" not in page  # the chat's greeting, without its emoji (printers' fonts)
    assert "Здравейте – Можете" in page
    assert f"http://testserver/c/{sticker_campaign.code}" in page


# -- the list: search, channel, period, pages ------------------------------------------


@pytest.fixture
def many(db) -> list[Campaign]:
    """23 rounds, one a day in May 2026, on three apps; and two standing links, made on
    16 June (AT): newer than every round."""
    made = []
    for day in range(1, 24):
        place = ["Grindr", "Vivastreet", "Tinder"][day % 3]
        made.append(
            campaign_create(
                name=f"{place}, {day} mai",
                now=AT,
                channel="app" if place != "Vivastreet" else "site",
                place=place,
                date=date(2026, 5, day),
            )
        )
    made.append(campaign_create(name="Stickers gare du Nord", now=AT, channel="sticker"))
    made.append(campaign_create(name="Flyers CeGIDD", now=AT, channel="flyer"))
    return made


def names_listed(page: str) -> list[str]:
    return re.findall(r'<h2 id="campaign-\d+-title">([^<]*)</h2>', page)


def test_the_list_shows_ten_campaigns_a_page_newest_first(nurse, many):
    first = nurse.client.get("/staff/campaigns/").content.decode()
    assert names_listed(first)[:3] == ["Flyers CeGIDD", "Stickers gare du Nord", "Tinder, 23 mai"]
    assert len(names_listed(first)) == 10
    assert "25 campaigns of 25, 1–10 shown." in first or "25 campagnes sur 25" in first
    last = nurse.client.get("/staff/campaigns/?page=3").content.decode()
    assert len(names_listed(last)) == 5
    every = {
        name
        for n in (1, 2, 3)
        for name in names_listed(nurse.client.get(f"/staff/campaigns/?page={n}").content.decode())
    }
    assert every == {campaign.name for campaign in many}


def test_the_list_is_found_by_words_channel_and_period(nurse, many):
    def found(query: str) -> list[str]:
        return names_listed(nurse.client.get(f"/staff/campaigns/?{query}").content.decode())

    assert found("q=vivastreet") == [f"Vivastreet, {d} mai" for d in (22, 19, 16, 13, 10, 7, 4, 1)]
    assert found(f"q={many[0].code.lower()}") == [many[0].name]
    assert set(found("channel=sticker")) == {"Stickers gare du Nord"}
    assert found("channel=app&start=2026-05-10&end=2026-05-12") == [
        "Grindr, 12 mai",
        "Tinder, 11 mai",
    ]
    # A standing link is in the period of the day it was made.
    assert set(found(f"channel=flyer&start={AT.date()}&end={AT.date()}")) == {"Flyers CeGIDD"}
    nothing = nurse.client.get("/staff/campaigns/?q=nowhere").content.decode()
    assert names_listed(nothing) == []
    assert "No campaign matches" in nothing or "Aucune campagne" in nothing


def test_the_pages_keep_the_search(nurse, many):
    page = nurse.client.get("/staff/campaigns/?channel=app&q=&page=1").content.decode()
    assert 'href="?channel=app&amp;page=2"' in page


def test_a_period_ending_before_it_starts_is_refused_and_everything_shown(nurse, many):
    page = nurse.client.get("/staff/campaigns/?start=2026-05-10&end=2026-05-01").content.decode()
    assert 'role="alert"' in page
    assert len(names_listed(page)) == 10


def test_a_sent_count_saved_from_a_page_of_the_list_comes_back_to_it_and_says_so(nurse, many):
    campaign = many[5]
    response = nurse.client.post(
        f"/staff/campaigns/{campaign.pk}/sent",
        {"messages_sent": "120", "back": "channel=app&page=2&next=https://evil.example"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/campaigns/?channel=app&page=2#campaign-{campaign.pk}"
    page = nurse.client.get(response["Location"]).content.decode()
    said = re.search(r'<div class="page-messages">(.*?)</div>', page, re.S).group(1)
    assert f"« {campaign.name} » : 120 messages envoyés, enregistré" in said


def test_the_sticker_page_shows_which_languages_its_sheet_is_in(nurse, round_campaign):
    """Without a choice: the campaign's language (French when it has none) and English,
    and their boxes are ticked."""
    page = nurse.client.get(f"/staff/campaigns/{round_campaign.pk}/sticker").content.decode()
    ticked = set(
        re.findall(r'<input type="checkbox" name="languages" value="(\w+)"[^>]*checked', page)
    )
    assert ticked == {"fr", "en"}
    assert 'lang="fr"' in page and 'lang="en"' in page
