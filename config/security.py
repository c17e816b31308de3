"""Response headers that every page carries: a strict Content-Security-Policy (no inline
script, no third-party host, DESIGN §5's narrowing of the malicious-JavaScript risk) and
a Permissions-Policy that turns off what a helpline never needs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "media-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
# Django's admin sets a few style attributes; it gets inline styles, never inline script.
ADMIN_STYLE = "'self' 'unsafe-inline'"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def content_security_policy(*, frame_ancestors: str | None = None, admin: bool = False) -> str:
    """The policy text. ``frame_ancestors`` opens framing to listed partner origins (the
    embeddable widget only); everything else may not be framed."""
    policy = dict(POLICY)
    if frame_ancestors:
        policy["frame-ancestors"] = frame_ancestors
    if admin:
        policy["style-src"] = ADMIN_STYLE
    return "; ".join(f"{name} {value}" for name, value in policy.items())


class SecurityHeadersMiddleware:
    """Adds the CSP unless a view set its own; a view may set ``response.frame_ancestors``
    (a space-separated origin list) to allow framing by partner sites."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(
                frame_ancestors=getattr(response, "frame_ancestors", None),
                admin=request.path.startswith("/admin/"),
            )
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
