from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Prints the settings a subprocess ended up with, so each test can start from a crafted
# environment: config.settings is read once per process.
SHOW_SETTINGS = """
import hashlib, json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_config": settings.CHANNEL_LAYERS["default"].get("CONFIG"),
    # A digest, so that a failing test never prints a real key.
    "secret_key_sha256": hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(),
    "secret_key_length": len(settings.SECRET_KEY),
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "debug": settings.DEBUG,
}))
"""


def settings_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_shown(env: dict[str, str]) -> dict:
    result = settings_in_subprocess(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- env helpers -----------------------------------------------------------------------


def test_env_str_gives_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_TEST_VALUE", raising=False)
    assert env_str("HELPLINE_TEST_VALUE", "fallback") == "fallback"
    monkeypatch.setenv("HELPLINE_TEST_VALUE", "set")
    assert env_str("HELPLINE_TEST_VALUE", "fallback") == "set"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("HELPLINE_TEST_FLAG", raw)
    assert env_bool("HELPLINE_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "2", "enabled"])
def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("HELPLINE_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="HELPLINE_TEST_FLAG"):
        env_bool("HELPLINE_TEST_FLAG", False)


def test_env_int_refuses_a_number_with_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_TEST_NUMBER", "80O0")
    with pytest.raises(ImproperlyConfigured, match="HELPLINE_TEST_NUMBER must be an integer"):
        env_int("HELPLINE_TEST_NUMBER", 8000)


def test_env_int_refuses_a_number_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_TEST_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("HELPLINE_TEST_NUMBER", 5, minimum=0)
    monkeypatch.setenv("HELPLINE_TEST_NUMBER", "7")
    assert env_int("HELPLINE_TEST_NUMBER", 5, minimum=0) == 7


def test_env_list_splits_on_commas_and_refuses_empty_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPLINE_TEST_LIST", " a.example , b.example")
    assert env_list("HELPLINE_TEST_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("HELPLINE_TEST_LIST", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="HELPLINE_TEST_LIST"):
        env_list("HELPLINE_TEST_LIST")


def test_env_secret_reads_the_file_named_by_the_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-container-secret\n")
    monkeypatch.delenv("HELPLINE_TEST_SECRET", raising=False)
    monkeypatch.setenv("HELPLINE_TEST_SECRET_FILE", str(secret_file))
    assert env_secret("HELPLINE_TEST_SECRET") == "from-a-container-secret"


def test_env_secret_refuses_both_the_variable_and_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("one")
    monkeypatch.setenv("HELPLINE_TEST_SECRET", "two")
    monkeypatch.setenv("HELPLINE_TEST_SECRET_FILE", str(secret_file))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("HELPLINE_TEST_SECRET")


def test_env_secret_fails_on_a_missing_or_empty_file_without_showing_a_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HELPLINE_TEST_SECRET", raising=False)
    monkeypatch.setenv("HELPLINE_TEST_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("HELPLINE_TEST_SECRET")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    monkeypatch.setenv("HELPLINE_TEST_SECRET_FILE", str(empty))
    with pytest.raises(ImproperlyConfigured, match="empty file"):
        env_secret("HELPLINE_TEST_SECRET")


def test_env_secret_gives_the_default_when_neither_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_TEST_SECRET", raising=False)
    monkeypatch.delenv("HELPLINE_TEST_SECRET_FILE", raising=False)
    assert env_secret("HELPLINE_TEST_SECRET") is None


# --- config/settings.py, in a fresh process each -------------------------------------


def test_the_embedded_default_is_sqlite_and_the_in_memory_layer(
    embedded_env: dict[str, str],
) -> None:
    shown = settings_shown(embedded_env)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["layer"] == "channels.layers.InMemoryChannelLayer"
    assert shown["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert shown["debug"] is False


def test_the_embedded_default_keeps_its_secret_key_across_restarts(
    embedded_env: dict[str, str],
) -> None:
    first = settings_shown(embedded_env)
    second = settings_shown(embedded_env)
    assert first["secret_key_sha256"] == second["secret_key_sha256"]
    assert first["secret_key_length"] >= 50
    key_file = BASE_DIR / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_it_requires_a_secret_key_outside_the_embedded_default(
    embedded_env: dict[str, str],
) -> None:
    env = {**embedded_env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/helpline"}
    result = settings_in_subprocess(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is required" in result.stderr


def test_it_reads_the_secret_key_from_a_container_secret(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("a-key-that-only-the-container-secret-holds\n")
    env = {
        **embedded_env,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/helpline",
        "SECRET_KEY_FILE": str(secret_file),
        "DATABASE_CONN_MAX_AGE": "60",
    }
    shown = settings_shown(env)
    expected = hashlib.sha256(b"a-key-that-only-the-container-secret-holds").hexdigest()
    assert shown["secret_key_sha256"] == expected
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["conn_max_age"] == 60


def test_redis_url_picks_the_pub_sub_channel_layer(embedded_env: dict[str, str]) -> None:
    env = {**embedded_env, "REDIS_URL": "redis://127.0.0.1:6379/3"}
    shown = settings_shown(env)
    assert shown["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    (host,) = shown["layer_config"]["hosts"]
    assert host["address"] == "redis://127.0.0.1:6379/3"
    # A Redis that stops answering must not block a worker forever.
    assert host["socket_timeout"] > 0 and host["socket_connect_timeout"] > 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "ture"), ("CHAT_RATE_PER_SECOND", "fast"), ("LOG_LEVEL", "LOUD")],
)
def test_it_refuses_to_start_on_a_malformed_variable(
    embedded_env: dict[str, str], name: str, value: str
) -> None:
    result = settings_in_subprocess({**embedded_env, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_a_team_key_rotation_longer_than_the_conversation_lifetime_is_refused(
    embedded_env: dict[str, str],
) -> None:
    env = {**embedded_env, "CHAT_IDLE_EXPIRY_DAYS": "30"}
    assert settings_in_subprocess({**env, "CHAT_TEAM_KEY_ROTATION_DAYS": "30"}).returncode == 0
    result = settings_in_subprocess({**env, "CHAT_TEAM_KEY_ROTATION_DAYS": "31"})
    assert result.returncode != 0
    assert "CHAT_TEAM_KEY_ROTATION_DAYS must not be longer" in result.stderr


def test_a_send_queue_that_cannot_hold_three_backlog_pages_is_refused(
    embedded_env: dict[str, str],
) -> None:
    """A page goes once less than a page waits, and its frames are 4/3 of its bytes:
    with less room, a client reading slowly would be closed (4413)."""
    env = {**embedded_env, "CHAT_SYNC_PAGE_BYTES": "262144"}
    assert settings_in_subprocess({**env, "CHAT_SEND_QUEUE_BYTES": "786432"}).returncode == 0
    result = settings_in_subprocess({**env, "CHAT_SEND_QUEUE_BYTES": "786431"})
    assert result.returncode != 0
    assert "CHAT_SEND_QUEUE_BYTES must hold three" in result.stderr


def test_a_malformed_database_url_does_not_echo_its_password(
    embedded_env: dict[str, str],
) -> None:
    env = {**embedded_env, "DATABASE_URL": "nosuchdb://user:hunter2@db/helpline"}
    result = settings_in_subprocess(env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_sqlite_database_url_gets_the_embedded_defaults_locking(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    # Two staff claiming at once read, then write: without IMMEDIATE, SQLite fails one
    # of them with "database is locked" instead of queueing it.
    env = {**embedded_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env["SECRET_KEY"] = "x" * 50
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_production_refuses_the_test_clock(embedded_env: dict[str, str], tmp_path: Path) -> None:
    """The test clock (ops/clock.py) moves routing through time: never in production."""
    env = {
        **embedded_env,
        "PRODUCTION": "true",
        "SECRET_KEY": "x" * 60,
        "HELPLINE_TEST_CLOCK_FILE": str(tmp_path / "clock"),
    }
    result = settings_in_subprocess(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: HELPLINE_TEST_CLOCK_FILE is for tests" in result.stderr
    del env["HELPLINE_TEST_CLOCK_FILE"]
    assert settings_in_subprocess(env).returncode == 0
