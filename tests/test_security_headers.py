"""Every response carries the strict CSP; only views that ask may be framed."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from config.security import SecurityHeadersMiddleware, content_security_policy


def test_every_page_gets_a_csp_without_inline_script_or_third_party_host(client, db):
    response = client.get("/staff/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_a_view_can_open_framing_to_listed_partners_only():
    def view(request):
        response = HttpResponse("widget")
        response.frame_ancestors = "https://partner.example"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/c/abc/embed"))
    assert "frame-ancestors https://partner.example" in response["Content-Security-Policy"]


def test_the_admin_gets_inline_styles_but_never_inline_script():
    policy = content_security_policy(admin=True)
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy
