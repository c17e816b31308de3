"""``manage.py staff_add``: how an interpreter account is made (docs/operations.md)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ops.models import StaffProfile

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def staff_add(*arguments: str, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("staff_add", *arguments, "--password-stdin", stdout=io.StringIO())


def test_an_interpreter_account_gets_its_role_and_languages(monkeypatch):
    staff_add("iris", "--interpreter", "--languages", "bg, RU", monkeypatch=monkeypatch)
    profile = StaffProfile.objects.get(user__username="iris")
    assert profile.is_interpreter
    assert profile.languages == ["bg", "ru"]
    assert profile.user.check_password(PASSWORD)


def test_a_staff_account_without_languages_has_none(monkeypatch):
    staff_add("nadia", monkeypatch=monkeypatch)
    profile = StaffProfile.objects.get(user__username="nadia")
    assert not profile.is_interpreter
    assert profile.languages == []
