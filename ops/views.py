"""The staff pages: the staff app (/staff/) and the coordinator's setup page.

The pages carry no secret and no conversation: they are shells that load ES modules;
keys are made and used in the browser, and data comes through /staff/api/ and the
staff websocket. Each view: who is asking → may they → render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from chat.expiry import expiry_policy
from ops import page_strings
from ops.activity.models import Outcome, Topic
from ops.devices import selectors
from ops.jsonapi import error_response
from ops.models import StaffProfile
from ops.public_roles import public_role

API_PREFIX = "/staff/api/"
# Not the site-wide "no-referrer": under it browsers send `Origin: null` with every POST
# (forms and fetch alike), which Django's CSRF check rightly refuses. The staff pages
# link nowhere outside the helpline, so "same-origin" tells no other site anything.
STAFF_REFERRER_POLICY = "same-origin"


def staff_referrer_policy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = STAFF_REFERRER_POLICY
        return response

    return wrapper


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/forbidden.html", status=403)


def page_context(profile: StaffProfile, strings: dict) -> dict:
    return {"profile": profile, "strings": strings}


@staff_referrer_policy
@never_cache
@login_required
@ensure_csrf_cookie
def staff_app(request: HttpRequest) -> HttpResponse:
    profile = selectors.staff_profile_of(request.user)
    if profile is None:
        return forbidden(request)
    if profile.is_interpreter:
        return redirect("ops:interpreter")  # their own page, never the queue
    context = page_context(profile, page_strings.staff_app())
    # Sent with the label, so visitors read the role in their language (ops/public_roles.py).
    context["public_role"] = public_role(profile.public_label) or ""
    context["expiry"] = expiry_policy()  # shown in the dashboard
    context["topics"], context["outcomes"] = Topic.choices, Outcome.choices  # outcome-form.js
    return render(request, "ops/app.html", context)


@staff_referrer_policy
@never_cache
@login_required
@ensure_csrf_cookie
def interpreter_page(request: HttpRequest) -> HttpResponse:
    """An interpreter's page — their device, on call, the requests offered to
    them, then the one conversation they accepted. Staff who are not interpreters get
    403 (their page is /staff/)."""
    profile = selectors.staff_profile_of(request.user)
    if profile is None or not profile.is_interpreter:
        return forbidden(request)
    return render(
        request, "ops/interpreter.html", page_context(profile, page_strings.interpreter_page())
    )


@staff_referrer_policy
@never_cache
@login_required
@ensure_csrf_cookie
def staff_setup(request: HttpRequest) -> HttpResponse:
    profile = selectors.staff_profile_of(request.user)
    if profile is None or not profile.is_coordinator:
        return forbidden(request)
    return render(
        request,
        "ops/setup.html",
        page_context(profile, page_strings.setup()),
    )


@staff_referrer_policy
@never_cache
@login_required
@ensure_csrf_cookie
def staff_rota(request: HttpRequest) -> HttpResponse:
    """The coordinator's rota: weekly slots, one-off shifts, closures, and what routing
    knows of each staff member. Everything is read and written through the rota API."""
    profile = selectors.staff_profile_of(request.user)
    if profile is None or not profile.is_coordinator or profile.is_interpreter:
        return forbidden(request)
    return render(request, "ops/rota.html", page_context(profile, page_strings.rota()))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: the API answers in JSON like its other errors, so a
    page whose session expired can say so instead of failing on an HTML body."""
    if request.path.startswith(API_PREFIX):
        return error_response(
            403, "csrf_failed", page_strings.CSRF_MESSAGE, "CSRF check failed: " + reason
        )
    return django_csrf_failure(request, reason=reason)
