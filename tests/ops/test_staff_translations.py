"""The staff side speaks French: every message of the staff apps' catalogues is
translated (none missing, none fuzzy) and the compiled catalogues are up to date."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CATALOGUES = [
    BASE_DIR / "ops" / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    BASE_DIR / "audit" / "locale" / "fr" / "LC_MESSAGES" / "django.po",
]

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.parts[-5])
def test_every_staff_message_is_translated_into_french(po):
    statistics = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "translated message" in statistics
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.parts[-5])
def test_the_compiled_staff_catalogue_is_up_to_date(po, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes()


def translations_of(po: Path) -> list[str]:
    """Every msgstr of a catalogue, its continuation lines joined."""
    texts: list[str] = []
    current: list[str] | None = None
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            current = [line.split(" ", 1)[1].strip('"')]
            texts.append("")
        elif line.startswith('"') and current is not None:
            current.append(line.strip('"'))
        else:
            current = None
        if current is not None:
            texts[-1] = "".join(current)
    return [text for text in texts if text]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.parts[-5])
def test_the_french_uses_one_apostrophe_the_typographic_one(po):
    straight = [text for text in translations_of(po) if "'" in text]
    assert straight == []
