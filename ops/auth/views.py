"""The sign-in pages: password (/staff/login/), then the second factor
(/staff/2fa/), or the authenticator's enrolment on a first sign-in (/staff/2fa/setup/)
ending with the recovery codes, shown once; the account's security page
(/staff/security/: new recovery codes, sign out everywhere); sign-out.

Each view: who is asking → may they → call ops/auth's services → render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

import audit
from audit.models import Action
from ops.auth import two_factor
from ops.auth.forms import CodeForm
from ops.auth.lockout import locked_until
from ops.auth.qr import qr_svg
from ops.auth.sessions import (
    pending_start,
    pending_user,
    session_sign_out,
    session_start,
    sessions_sign_out_everywhere,
)
from ops.jsonapi import error_response
from ops.models import StaffProfile
from ops.pages import staff_page
from ops.views import API_PREFIX

LOGIN_TEMPLATE = "ops/login.html"


def next_url_of(request: HttpRequest) -> str:
    """Where to go after signing in: a path of this site only."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


# -- step 1: the password -------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = next_url_of(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if request.method == "POST":
        form = AuthenticationForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            pending_start(request, user, next_url=next_url)
            if two_factor.has_second_factor(user):
                return redirect("staff_auth:second-factor")
            return redirect("staff_auth:enrol")
        login_failure_record(request, form.data.get("username", ""))
    else:
        form = AuthenticationForm(request)
    return render(request, LOGIN_TEMPLATE, {"form": form, "next": next_url})


def login_failure_record(request: HttpRequest, username: str) -> None:
    """A wrong password, or the one that locked the username, goes to the audit log
    (by username, never by address). Tries during a lock are refused uncounted and not
    recorded: a flood must not fill the log. A username that names no account is not
    written down (people type their password there by mistake)."""
    locked = getattr(request, "axes_locked_out", False)
    counted = getattr(request, "axes_failures_since_start", None) is not None
    if locked and not counted:
        return
    user = get_user_model().objects.filter(username=username[:150]).first()
    action = Action.LOGIN_LOCKED_OUT if locked else Action.LOGIN_FAILED
    audit.record(user, action, target="" if user else "unknown account")


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: the sign-in page again (status 429), saying the
    account is locked and when it may try again; in JSON for the API's sign-in."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    if request.path.startswith(API_PREFIX):
        return lockout_json(locked_until(username, now=timezone.now()))
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": next_url_of(request),
        "locked_until": locked_until(username, now=timezone.now()),
        "cool_off_minutes": round(settings.AXES_COOLOFF_TIME * 60),
    }
    response = render(request, LOGIN_TEMPLATE, context, status=429)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def lockout_json(until) -> HttpResponse:  # noqa: ANN001 — an aware datetime or None
    response = error_response(
        429, "locked", _("Too many wrong passwords: this account is locked for a while.")
    )
    if until is not None:
        response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    response["Cache-Control"] = "no-store"
    return response


# -- step 2: the second factor --------------------------------------------------------------


def pending_or_login(request: HttpRequest):
    pending = pending_user(request)
    if pending is None:
        return None, redirect(settings.LOGIN_URL)
    return pending, None


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def second_factor_view(request: HttpRequest) -> HttpResponse:
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    user, next_url = pending
    if not two_factor.has_second_factor(user):
        return redirect("staff_auth:enrol")
    form = CodeForm(request.POST or None)
    wrong = ""
    if request.method == "POST" and form.is_valid():
        verified = two_factor.second_factor_check(user, form.cleaned_data["code"])
        if not isinstance(verified, two_factor.Refused):
            session_start(request, user, verified.device)
            kind = "recovery_code" if verified.recovery_code_used else "authenticator"
            audit.record(user, Action.LOGIN_SUCCEEDED, details={"second_factor": kind})
            if verified.recovery_code_used:
                audit.record(
                    user,
                    Action.RECOVERY_CODE_USED,
                    details={"left": verified.recovery_codes_left},
                )
                return redirect("staff_auth:security")
            return redirect(next_url)
        audit.record(user, Action.SECOND_FACTOR_FAILED)
        wrong = verified.reason  # "used" gets its own message: wait for the next code
    return render(request, "staff_auth/second_factor.html", {"form": form, "wrong": wrong})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up the authenticator app, then see the recovery codes once."""
    pending, elsewhere = pending_or_login(request)
    if elsewhere:
        return elsewhere
    user, next_url = pending
    if two_factor.has_second_factor(user):
        return redirect("staff_auth:second-factor")
    device = two_factor.enrolment_start(user)
    form = CodeForm(request.POST or None)
    wrong = False
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.enrolment_confirm(user, form.cleaned_data["code"])
        if confirmed is not None:
            device, codes = confirmed
            session_start(request, user, device)
            audit.record(user, Action.TWO_FACTOR_ENROLLED)
            audit.record(user, Action.LOGIN_SUCCEEDED, details={"second_factor": "enrolment"})
            return render(
                request,
                "staff_auth/recovery_codes.html",
                {"codes": codes, "next": next_url or settings.LOGIN_REDIRECT_URL},
            )
        wrong = True
    context = {
        "form": form,
        "wrong": wrong,
        "qr": qr_svg(device.config_url, title=_("Two-factor authentication key")),
        "secret": two_factor.secret_text(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "username": user.get_username(),
    }
    return render(request, "staff_auth/enrol.html", context)


# -- signed in --------------------------------------------------------------------------------


@staff_page(coordinator=False, interpreters="admitted", accounts_without_profile=True)
@sensitive_post_parameters("code")
def security_view(request: HttpRequest, profile: StaffProfile | None) -> HttpResponse:
    """This account: its authenticator, its recovery codes (new ones need a current
    code from the app), and "sign out everywhere"."""
    user = request.user
    wrong = False
    form = CodeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "recovery-codes":
        if form.is_valid() and two_factor.second_factor_verify(user, form.cleaned_data["code"]):
            codes = two_factor.recovery_codes_make(user)
            audit.record(user, Action.RECOVERY_CODES_MADE)
            return render(
                request,
                "staff_auth/recovery_codes.html",
                {"codes": codes, "next": request.path, "profile": profile},
            )
        wrong = True
    context = {
        "form": form,
        "wrong": wrong,
        "authenticator": two_factor.authenticator_of(user),
        "recovery_codes_left": two_factor.recovery_codes_left(user),
        "profile": profile,
    }
    return render(request, "staff_auth/security.html", context)


@require_POST
@staff_page(coordinator=False, interpreters="admitted", accounts_without_profile=True)
def sign_out_everywhere_view(request: HttpRequest, profile: StaffProfile | None) -> HttpResponse:
    sessions_sign_out_everywhere(user=request.user, actor=request.user)
    return redirect(settings.LOGIN_URL)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out of this browser; its staff sockets close at once."""
    session_sign_out(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
