"""What every staff page (HTML under /staff/) shares: the one guard that says who may
open it, the "not allowed" page, the context every page starts from (the referrer
policy, same-origin, is the site's: config/settings.py). The JSON API has its own guard
(`ops/jsonapi.py`'s `api_view`): it never redirects and answers in JSON.

Each page states its rule in the guard's arguments where the view is defined;
tests/ops/test_page_guard.py holds every page's rule in one table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal, get_args

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from ops.devices import selectors
from ops.models import StaffProfile

# What a page does with interpreters: "refused" (the "not allowed" page), "admitted"
# (like anyone else the rule lets in), "only" (everyone else is refused), "to their page"
# (sent to /staff/interpreter/).
Interpreters = Literal["refused", "admitted", "only", "to their page"]


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/forbidden.html", status=403)


def page_context(profile: StaffProfile, strings: dict) -> dict:
    return {"profile": profile, "strings": strings}


@dataclass(frozen=True)
class PageRule:
    """Who may open a page, checked in this order once the person is signed in:

    1. an account without a staff profile is refused, unless
       ``accounts_without_profile`` (the account's own security page);
    2. interpreters: as ``interpreters`` says;
    3. ``coordinator``: everyone else is refused; ``coordinator_to_post``: the page is
       read by whoever passed 1 and 2, a POST is the coordinator's.

    A superuser without a profile counts as a coordinator (``staff_profile_of``).
    """

    coordinator: bool
    interpreters: Interpreters
    coordinator_to_post: bool = False
    accounts_without_profile: bool = False

    def __post_init__(self) -> None:
        if self.interpreters not in get_args(Interpreters):
            known = ", ".join(get_args(Interpreters))
            raise ValueError(f"interpreters: {self.interpreters!r} is none of {known}")
        if self.accounts_without_profile and (
            self.coordinator or self.coordinator_to_post or self.interpreters != "admitted"
        ):
            raise ValueError("a page open to accounts without a profile has no other rule")

    def refusal(self, request: HttpRequest, profile: StaffProfile | None) -> HttpResponse | None:
        """The answer to someone the rule keeps out, or None to let them in."""
        if profile is None:
            return None if self.accounts_without_profile else forbidden(request)
        if profile.is_interpreter:
            if self.interpreters == "refused":
                return forbidden(request)
            if self.interpreters == "to their page":
                return redirect("ops:interpreter")
        elif self.interpreters == "only":
            return forbidden(request)
        writing = self.coordinator_to_post and request.method == "POST"
        if (self.coordinator or writing) and not profile.is_coordinator:
            return forbidden(request)
        return None


def staff_page(
    *,
    coordinator: bool,
    interpreters: Interpreters,
    coordinator_to_post: bool = False,
    accounts_without_profile: bool = False,
    methods: Sequence[str] | None = None,
    csrf_cookie: bool = False,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The guard of a staff page: not cached; someone not
    signed in (a password without the second factor counts as not signed in:
    ops/auth/middleware.py) is sent to the sign-in page, back here after it; then
    ``methods`` (others get 405), then the role rule (``PageRule``): the "not allowed"
    page (403), or an interpreter sent to their page. ``csrf_cookie``: the page's script
    posts to the API, so the answer sets the CSRF cookie.

    The view is called as ``view(request, profile, *args, **kwargs)``; ``profile`` is
    None only for an account without one on a page that admits them. The rule is
    readable on the view as ``staff_page_rule``.
    """
    rule = PageRule(
        coordinator=coordinator,
        interpreters=interpreters,
        coordinator_to_post=coordinator_to_post,
        accounts_without_profile=accounts_without_profile,
    )

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            profile = selectors.staff_profile_of(request.user)
            refused = rule.refusal(request, profile)
            if refused is not None:
                return refused
            return view(request, profile, *args, **kwargs)

        guarded = checked
        if methods is not None:
            guarded = require_http_methods(list(methods))(guarded)
        if csrf_cookie:
            guarded = ensure_csrf_cookie(guarded)
        guarded = never_cache(login_required(guarded))
        guarded.staff_page_rule = rule  # type: ignore[attr-defined]
        return guarded

    return decorate
