"""The campaign pages: the list, the coordinator's form, the sent count the
outreach worker enters, the QR code and the printable sticker sheet.

Who: coordinators create and edit; staff who take conversations (not interpreters)
see the campaigns, their links and QR codes, print stickers and record how many
messages a round sent. Each view: who is asking → may they → act → render.
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import segno
from django import forms
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from chat.crypto import suite1
from ops.association import association_set, association_shown
from ops.campaigns import services as campaigns
from ops.devices import selectors
from ops.form_widgets import IsoDateInput
from ops.models import Campaign, Channel, StaffProfile
from ops.pages import staff_page
from widget.languages import WIDGET_LANGUAGES

QR_SCALE_PNG = 10
STICKERS_PER_SHEET = 8
CAMPAIGNS_PER_PAGE = 10


class CampaignForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("language"),
        required=False,
        choices=[("", _("the visitor's browser decides")), *WIDGET_LANGUAGES],
        help_text=_("The chat opens in this language (the visitor can switch)."),
    )

    class Meta:
        model = Campaign
        fields = ["name", "channel", "place", "date", "team", "language", "message", "skill"]
        widgets = {
            "date": IsoDateInput(),
            "message": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "place": _("e.g. the site or app of the round, or where stickers are put."),
            "message": _(
                "What the round sends; {link} is replaced by the chat link "
                "(else it is added at the end)."
            ),
            "date": _("For an outreach round; leave empty for a sticker, flyer or partner site."),
        }


class AssociationForm(forms.Form):
    name = forms.CharField(label=_("name of the association"), max_length=80, required=False)
    line = forms.CharField(
        label=_("one line"),
        max_length=140,
        required=False,
        help_text=_("e.g. what the association does and where: a city, a website."),
    )


class SentForm(forms.Form):
    messages_sent = forms.IntegerField(label=_("messages sent"), min_value=0, max_value=1_000_000)
    # The list's query string (search, filter, page), to come back to the same place.
    back = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class CampaignFilterForm(forms.Form):
    """The campaigns page's search: words, a channel, a period (all optional)."""

    q = forms.CharField(
        label=_("Find (name, place, team or code)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    channel = forms.ChoiceField(
        label=_("channel"),
        required=False,
        choices=[("", _("every channel")), *Channel.choices],
    )
    start = forms.DateField(label=_("from"), required=False, widget=IsoDateInput())
    end = forms.DateField(label=_("to (included)"), required=False, widget=IsoDateInput())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period must end on or after its first day."))
        return data


class StickerForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("languages on the sticker"),
        choices=WIDGET_LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def campaign_link(request: HttpRequest, campaign: Campaign) -> str:
    """The chat link the campaign's messages carry; a round in one language opens the
    chat in it (`?lang=`, widget/languages.py)."""
    link = request.build_absolute_uri(reverse("widget:chat", args=[campaign.code]))
    return f"{link}?lang={campaign.language}" if campaign.language else link


def message_with_link(campaign: Campaign, link: str) -> str:
    if not campaign.message:
        return link
    if "{link}" in campaign.message:
        return campaign.message.replace("{link}", link)
    return f"{campaign.message} {link}"


def qr_code(link: str) -> segno.QRCode:
    return segno.make(link, error="m", micro=False)


def qr_svg(link: str, *, scalable: bool = False) -> str:
    """The QR code as SVG; ``scalable``: no width and height, only a viewBox, so the
    page's CSS sizes it (the sticker's 40 mm)."""
    out = io.BytesIO()
    qr_code(link).save(
        out, kind="svg", scale=4, border=2, xmldecl=False, title=link, omitsize=scalable
    )
    return out.getvalue().decode()


def campaign_view(request: HttpRequest, campaign: Campaign) -> dict:
    link = campaign_link(request, campaign)
    return {
        "campaign": campaign,
        "link": link,
        "message": message_with_link(campaign, link),
        "qr": qr_svg(link, scalable=True),
    }


def list_query(query: str) -> str:
    """Only the list's own parameters, re-encoded: what comes back from a form is never
    more than a query string of this page."""
    given = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in ("q", "channel", "start", "end", "page"):
        if given.get(name):
            kept[name] = given[name][:100]
    return kept.urlencode()


def campaign_list_context(request: HttpRequest, profile: StaffProfile) -> dict:
    """Every campaign, newest first, ten a page; found by words, channel and period."""
    search = CampaignFilterForm(request.GET)
    found = search.cleaned_data if search.is_valid() else {}
    campaigns = selectors.campaigns_matching(
        text=found.get("q", "").strip(),
        channel=found.get("channel", ""),
        start=found.get("start"),
        end=found.get("end"),
    )
    page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "profile": profile,
        "search": search,
        "searching": any(found.values()),
        "page": page,
        "items": [campaign_view(request, c) for c in page.object_list],
        "query": list_query(query.urlencode()),
        "back": list_query(request.GET.urlencode()),
        "total": Campaign.objects.count(),
        "association_form": AssociationForm(initial=association_shown()),
    }


@staff_page(coordinator=False, interpreters="refused")
def campaign_list(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    return render(request, "ops/campaigns.html", campaign_list_context(request, profile))


@require_POST
@staff_page(coordinator=True, interpreters="refused")
def association_edit(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """The association's name and one line on the visitor's page (empty: none)."""
    form = AssociationForm(request.POST)
    if not form.is_valid():
        context = {**campaign_list_context(request, profile), "association_form": form}
        return render(request, "ops/campaigns.html", context, status=400)
    association_set(name=form.cleaned_data["name"], line=form.cleaned_data["line"])
    return HttpResponseRedirect(reverse("ops:campaigns") + "#association")


@require_http_methods(["GET", "POST"])
@staff_page(coordinator=True, interpreters="refused")
def campaign_new(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = campaigns.campaign_create(now=timezone.now(), **form.cleaned_data)
        messages.success(
            request,
            _("Campaign “%(name)s” created: its chat link, message and QR code are below.")
            % {"name": campaign.name},
        )
        return HttpResponseRedirect(reverse("ops:campaign", args=[campaign.pk]))
    return render(request, "ops/campaign_edit.html", {"profile": profile, "form": form})


@require_http_methods(["GET", "POST"])
@staff_page(coordinator=True, interpreters="refused")
def campaign_edit(request: HttpRequest, profile: StaffProfile, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    # The form validates a copy: the write goes through campaign_update, never form.save().
    form = CampaignForm(request.POST or None, instance=Campaign.objects.get(pk=campaign.pk))
    if request.method == "POST" and form.is_valid():
        campaigns.campaign_update(campaign=campaign, **form.cleaned_data)
        messages.success(
            request,
            _("Campaign “%(name)s” saved. Its code, link and QR code did not change.")
            % {"name": campaign.name},
        )
        return HttpResponseRedirect(reverse("ops:campaign", args=[campaign.pk]))
    context = {"profile": profile, "form": form, **campaign_view(request, campaign)}
    return render(request, "ops/campaign_edit.html", context)


@require_POST
@staff_page(coordinator=False, interpreters="refused")
def campaign_sent(request: HttpRequest, profile: StaffProfile, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    form = SentForm(request.POST)
    if not campaign.is_round or not form.is_valid():
        return render(
            request,
            "ops/campaigns.html",
            {
                "profile": profile,
                "items": [campaign_view(request, campaign)],
                "sent_form": form,
                "sent_error": campaign.pk,
                "back": list_query(request.POST.get("back", "")),
                "total": Campaign.objects.count(),
            },
            status=400,
        )
    sent = form.cleaned_data["messages_sent"]
    campaigns.campaign_sent_record(campaign=campaign, messages_sent=sent)
    messages.success(
        request,
        _("“%(name)s”: %(sent)s messages sent, saved. The report counts them in its funnel.")
        % {"name": campaign.name, "sent": sent},
    )
    back = list_query(form.cleaned_data["back"])
    where = reverse("ops:campaigns") + (f"?{back}" if back else "")
    return HttpResponseRedirect(f"{where}#campaign-{campaign.pk}")


@staff_page(coordinator=False, interpreters="refused")
def campaign_qr(
    request: HttpRequest, profile: StaffProfile, campaign_id: int, kind: str
) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if kind not in ("svg", "png"):
        raise Http404("QR codes are SVG or PNG")
    link = campaign_link(request, campaign)
    if kind == "svg":
        response = HttpResponse(qr_svg(link), content_type="image/svg+xml")
    else:
        out = io.BytesIO()
        qr_code(link).save(out, kind="png", scale=QR_SCALE_PNG, border=4)
        response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.code}.{kind}"'
    return response


def without_symbols(text: str) -> str:
    """The chat's greeting has an emoji ("Bonjour 👋 Vous pouvez…"); printers and their
    fonts may not: a dash stands in for it."""
    kept = "".join("–" if unicodedata.category(char) == "So" else char for char in text)
    return " ".join(kept.split())


def sticker_texts(languages: list[str]) -> list[dict]:
    """The sticker's short text in each chosen language, from the widget's own
    catalogues (translated and reviewed once, for the chat page)."""
    texts = []
    for code, _name in WIDGET_LANGUAGES:
        if code in languages:
            path = finders.find(f"widget/i18n/{code}.json")
            catalogue = json.loads(Path(path).read_text(encoding="utf-8"))
            text = without_symbols(catalogue["welcome_1"])
            texts.append({"code": code, "heading": catalogue["heading"], "text": text})
    return texts


@staff_page(coordinator=False, interpreters="refused")
def campaign_sticker(request: HttpRequest, profile: StaffProfile, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    form = StickerForm(request.GET or None)
    chosen = form.cleaned_data["languages"] if form.is_valid() else []
    languages = chosen or list(dict.fromkeys([campaign.language or "fr", "en"]))
    if not chosen:
        # The boxes say which languages the sheet below is in.
        form = StickerForm(initial={"languages": languages})
    fingerprint = selectors.admin_fingerprint_current()
    context = {
        "profile": profile,
        "form": form,
        "texts": sticker_texts(languages),
        "stickers": range(STICKERS_PER_SHEET),
        "fingerprint": suite1.fingerprint_display(fingerprint) if fingerprint else None,
        **campaign_view(request, campaign),
    }
    return render(request, "ops/sticker.html", context)
