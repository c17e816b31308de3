"""Static files are collected, hashed and compressed wherever the helpline really runs —
the image (docker compose) and `make run` — and served from the app directories only
where nothing was collected (config/settings.py, STATIC_COLLECTED). What a browser then
gets (brotli, a year, immutable) is checked in tests/browser/test_visitor_phone.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
SETTINGS_OF = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps([settings.STORAGES["staticfiles"]["BACKEND"], settings.WHITENOISE_USE_FINDERS]))
"""


def static_settings(env: dict[str, str]) -> list:
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_OF],
        cwd=BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_collected_files_are_served_hashed_and_compressed_and_never_from_the_finders(tmp_path):
    assert static_settings({"STATIC_COLLECTED": "true", "STATIC_ROOT": str(tmp_path)}) == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        False,
    ]


def test_without_collecting_the_app_directories_are_served_as_they_are(tmp_path):
    assert static_settings({"STATIC_ROOT": str(tmp_path)}) == [
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        True,
    ]


def test_the_image_collects_with_the_storage_it_serves_with():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "ENV STATIC_COLLECTED=true" in dockerfile
    assert dockerfile.index("ENV STATIC_COLLECTED=true") < dockerfile.index("collectstatic")


def test_make_run_collects_before_it_serves():
    makefile = (BASE_DIR / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :]
    run = run[: run.index("\n\n")]
    assert "STATIC_COLLECTED = true" in run
    assert run.index("collectstatic") < run.index("serve")


def test_brotli_is_installed_so_collectstatic_makes_br_copies():
    import brotli  # noqa: F401, PLC0415 — WhiteNoise makes .br files only if it imports
