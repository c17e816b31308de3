"""`manage.py check --deploy` is clean with the production profile (issue 10), and each
protection it checks really is off without it (so the clean answer means something)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**base, "SECRET_KEY": secrets.token_urlsafe(50), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    expires = (datetime.now(UTC) + timedelta(days=180)).date().isoformat()
    return {
        "PRODUCTION": "true",
        "ALLOWED_HOSTS": "helpline.example",
        "TRUST_X_FORWARDED_PROTO": "true",
        "SECURITY_TXT_CONTACT": "mailto:security@helpline.example",
        "SECURITY_TXT_EXPIRES": expires,
        "RETURN_CODE_PEPPER": secrets.token_urlsafe(32),
    }


def test_check_deploy_is_clean_with_the_production_profile():
    done = check_deploy(**production_env())
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_without_the_profile_check_deploy_names_what_is_missing():
    done = check_deploy(**{**production_env(), "PRODUCTION": "false"})
    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in done.stderr, check  # HSTS, SSL redirect, session and CSRF cookies


def test_without_a_security_contact_check_deploy_says_so():
    done = check_deploy(**{**production_env(), "SECURITY_TXT_CONTACT": ""})
    assert done.returncode != 0
    assert "helpline.W001" in done.stderr


def test_without_its_own_return_code_pepper_check_deploy_says_so():
    env = production_env()
    del env["RETURN_CODE_PEPPER"]
    done = check_deploy(**env)
    assert done.returncode != 0
    assert "chat.W001" in done.stderr
    done = check_deploy(**{**env, "RETURN_CODE_PEPPER": "short"})
    assert "chat.W001" in done.stderr


def test_with_push_on_and_no_real_vapid_subject_check_deploy_says_so():
    from ops.push.vapid import vapid_key_generate

    key = vapid_key_generate()
    done = check_deploy(**{**production_env(), "PUSH_VAPID_PRIVATE_KEY": key})
    assert done.returncode != 0
    assert "helpline.W004" in done.stderr
    subject = "mailto:coordination@helpline.example"
    done = check_deploy(
        **{**production_env(), "PUSH_VAPID_PRIVATE_KEY": key, "PUSH_VAPID_SUBJECT": subject}
    )
    assert done.returncode == 0, done.stderr
