"""The coordinator's activity report: the page, its CSV and a one-page
printable version for funders. Coordinators only (not interpreters)."""

from __future__ import annotations

import csv
from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ops import clock
from ops.form_widgets import IsoDateInput
from ops.models import StaffProfile
from ops.pages import staff_page
from ops.report.figures import Period, period_default, report_figures
from ops.report.tables import cell_text, report_sections

LONGEST_PERIOD = timedelta(days=5 * 366)
FORMULA_STARTS = ("=", "+", "-", "@")


def csv_safe(text: str) -> str:
    """A campaign name a spreadsheet would run as a formula is written as text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("from"), widget=IsoDateInput())
    end = forms.DateField(label=gettext_lazy("to (included)"), widget=IsoDateInput())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and not start <= end <= start + LONGEST_PERIOD:
            raise forms.ValidationError(
                _("The period must end after it starts, within five years.")
            )
        return data


def period_of(request: HttpRequest) -> tuple[Period, PeriodForm]:
    """The period asked for, or the last twelve months (with the form's errors)."""
    default = period_default(clock.today())
    if "start" not in request.GET:
        form = PeriodForm(initial={"start": default.start, "end": default.end})
        return default, form
    form = PeriodForm(request.GET)
    if form.is_valid():
        return Period(form.cleaned_data["start"], form.cleaned_data["end"]), form
    return default, form


def report_context(request: HttpRequest, profile: StaffProfile, *, masked: bool) -> dict:
    period, form = period_of(request)
    figures = report_figures(period)
    sections = report_sections(figures, masked=masked)
    for section in sections:
        section.cells = [[cell_text(cell, masked=masked) for cell in row] for row in section.rows]
    return {
        "profile": profile,
        "form": form,
        "period": period,
        "sections": sections,
        "query": request.GET.urlencode(),
        "masked": masked,
    }


@staff_page(coordinator=True, interpreters="refused")
def report_page(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    return render(request, "ops/report.html", report_context(request, profile, masked=False))


@staff_page(coordinator=True, interpreters="refused")
def report_print(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """One page for the funders: small counts shown as "< 5"."""
    context = report_context(request, profile, masked=True)
    # One page: each campaign's row is in the CSV; here, the channels stand for them.
    context["sections"] = [s for s in context["sections"] if s.key != "campaigns"]
    return render(request, "ops/report_print.html", context)


@staff_page(coordinator=True, interpreters="refused")
def report_csv(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """Every table of the report, one after the other, small counts shown as "< 5"."""
    context = report_context(request, profile, masked=True)
    period = context["period"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"activity-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([_("Activity report"), str(period.start), str(period.end)])
    for section in context["sections"]:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.head)
        writer.writerows([[csv_safe(text) for text in row] for row in section.cells])
    return response
