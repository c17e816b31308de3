"""Campaign pages (issue 8): coordinators create and edit; staff see the links, QR codes
and stickers and record how many messages a round sent; interpreters, accounts without
a staff profile and anonymous visitors are refused. The QR code decodes back to the
chat link."""

from __future__ import annotations

import pytest

from chat.crypto import suite1
from ops.campaigns import campaign_create
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
