"""The staff pages: the staff app (/staff/) and the coordinator's setup page.

The pages carry no secret and no conversation: they are shells that load ES modules;
keys are made and used in the browser, and data comes through /staff/api/ and the
staff websocket. Each view: who may open it (its `staff_page` rule, ops/pages.py) →
render.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.csrf import csrf_failure as django_csrf_failure

from chat.expiry import expiry_policy
from ops import page_strings
from ops.activity.models import Outcome, Topic
from ops.jsonapi import error_response
from ops.models import StaffProfile
from ops.pages import page_context, staff_page
from ops.public_roles import public_role

API_PREFIX = "/staff/api/"


# Interpreters have their own page, never the queue.
@staff_page(coordinator=False, interpreters="to their page", csrf_cookie=True)
def staff_app(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    context = page_context(profile, page_strings.staff_app())
    # Sent with the label, so visitors read the role in their language (ops/public_roles.py).
    context["public_role"] = public_role(profile.public_label) or ""
    context["expiry"] = expiry_policy()  # shown in the dashboard
    context["topics"], context["outcomes"] = Topic.choices, Outcome.choices  # outcome-form.js
    return render(request, "ops/app.html", context)


@staff_page(coordinator=False, interpreters="only", csrf_cookie=True)
def interpreter_page(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """An interpreter's page — their device, on call, the requests offered to
    them, then the one conversation they accepted. Staff who are not interpreters get
    403 (their page is /staff/)."""
    return render(
        request, "ops/interpreter.html", page_context(profile, page_strings.interpreter_page())
    )


# An interpreter who is also a coordinator gets it, as they get the setup API
# (ops/devices/api.py: `api_view(coordinator=True)`).
@staff_page(coordinator=True, interpreters="admitted", csrf_cookie=True)
def staff_setup(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    return render(
        request,
        "ops/setup.html",
        page_context(profile, page_strings.setup()),
    )


@staff_page(coordinator=True, interpreters="refused", csrf_cookie=True)
def staff_rota(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """The coordinator's rota: weekly slots, one-off shifts, closures, and what routing
    knows of each staff member. Everything is read and written through the rota API."""
    return render(request, "ops/rota.html", page_context(profile, page_strings.rota()))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: the API answers in JSON like its other errors, so a
    page whose session expired can say so instead of failing on an HTML body."""
    if request.path.startswith(API_PREFIX):
        return error_response(
            403, "csrf_failed", page_strings.CSRF_MESSAGE, "CSRF check failed: " + reason
        )
    return django_csrf_failure(request, reason=reason)
