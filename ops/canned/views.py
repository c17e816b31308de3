"""The canned replies' page (/staff/canned/): every staff member reads the library; the
coordinator edits it, sets the helpline's variable values, imports and exports it. A
shell like the other staff pages: everything goes through ops/api_canned.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from ops import page_strings
from ops.canned import rules
from ops.devices import selectors
from ops.views import forbidden, page_context, staff_referrer_policy


@staff_referrer_policy
@never_cache
@login_required
@ensure_csrf_cookie
def canned_page(request: HttpRequest) -> HttpResponse:
    profile = selectors.staff_profile_of(request.user)
    if profile is None or profile.is_interpreter:
        return forbidden(request)
    context = {
        **page_context(profile, page_strings.canned()),
        "variables": rules.STORED_VARIABLES,
        "base_languages": rules.BASE_LANGUAGES,
    }
    return render(request, "ops/canned.html", context)
