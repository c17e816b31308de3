"""The canned replies' page (/staff/canned/): every staff member reads the library; the
coordinator edits it, sets the helpline's variable values, imports and exports it. A
shell like the other staff pages: everything goes through ops/api_canned.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ops import page_strings
from ops.canned import rules
from ops.models import StaffProfile
from ops.pages import page_context, staff_page


@staff_page(coordinator=False, interpreters="refused", csrf_cookie=True)
def canned_page(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    context = {
        **page_context(profile, page_strings.canned()),
        "variables": rules.STORED_VARIABLES,
        "base_languages": rules.BASE_LANGUAGES,
    }
    return render(request, "ops/canned.html", context)
