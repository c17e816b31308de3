"""Form widgets the staff pages share."""

from __future__ import annotations

from typing import Any

from django import forms


class IsoDateInput(forms.DateInput):
    """``<input type="date">`` with its value written ``yyyy-mm-dd``, the only form a
    browser reads there whatever the page's language: Django's localized form
    (``01/12/2025`` in French) left the field empty, so a form sent back as it was shown
    lost its date, or could not be sent at all."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
