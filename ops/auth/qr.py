"""The enrolment QR code, drawn on the server as inline SVG: no image host, no script,
nothing the strict CSP would have to allow."""

from __future__ import annotations

import segno
from django.utils.html import mark_safe
from django.utils.safestring import SafeString


def qr_svg(text: str, *, title: str) -> SafeString:
    # segno writes plain SVG elements (no style attribute, no script) and escapes the
    # title it is given.
    svg = segno.make(text, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=title
    )
    return mark_safe(svg)  # noqa: S308 — made here from our own data
