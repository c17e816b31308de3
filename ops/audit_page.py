"""The coordinator's audit page, /staff/audit/: filter by action, person and dates.

A staff page over the audit app's entries: it lives with the other staff pages, since
the audit app (below ops) knows nothing of staff profiles."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from audit.models import Action
from audit.selectors import AuditFilter, audit_entries
from ops.form_widgets import IsoDateInput
from ops.models import StaffProfile
from ops.pages import staff_page

PAGE_SIZE = 100


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("everything")), *Action.choices]
    )
    actor = forms.CharField(label=_("Who (username)"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=IsoDateInput())


# Like the setup page, it admits a coordinator who is also an interpreter.
@staff_page(coordinator=True, interpreters="admitted")
def audit_page(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    audit_filter = AuditFilter()
    if form.is_valid():
        audit_filter = AuditFilter(**form.cleaned_data)
    page = Paginator(audit_entries(audit_filter), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"profile": profile, "form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/audit.html", context)
