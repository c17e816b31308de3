"""The Django admin behind the staff sign-in: django-otp's OTPAdminSite (a session must
be verified by a second factor) whose login page is the staff sign-in itself."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite


class StaffAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite's default name is "otpadmin"; the URLs stay under "admin:".
        super().__init__(name=name)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponseRedirect:
        """One way in: the staff sign-in (password, then the second factor)."""
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        return HttpResponseRedirect(
            resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": next_url})
        )
