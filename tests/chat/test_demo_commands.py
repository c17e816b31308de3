"""The demo helpline: seeded once, and a browser device of the demo user can be certified
and given the team key from the command line."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat import selectors
from chat.client.keys import DeviceKeys
from chat.crypto import certs, suite1
from chat.models import Device
from chat.services.devices import device_register


@pytest.fixture
def demo_dir(settings, tmp_path):
    settings.CHAT_DEMO_DIR = tmp_path / "demo"
    return settings.CHAT_DEMO_DIR


@pytest.mark.django_db
def test_demo_seed_is_idempotent(demo_dir, capsys):
    call_command("demo_seed")
    first = json.loads((demo_dir / "demo.json").read_text())
    call_command("demo_seed")
    assert json.loads((demo_dir / "demo.json").read_text()) == first
    assert Device.objects.filter(state=Device.State.CERTIFIED).count() == 1
    assert "demo_certify" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_certify_gives_a_browser_device_its_certificate_and_the_team_key(demo_dir):
    call_command("demo_seed")
    user = Device.objects.get().user
    browser = DeviceKeys.generate()
    device = device_register(
        user=user,
        role="staff",
        label_text="browser",
        kem_pk=browser.kem_public,
        sig_pk=browser.sig_public,
        now=timezone.now(),
    )
    call_command("demo_certify")
    device.refresh_from_db()
    assert device.state == Device.State.CERTIFIED
    [(team_key, wrap)] = selectors.team_keys_for_device(device)
    opened = certs.team_wrap_open(
        wrap,
        device_kem_key=browser.kem,
        device_id=str(device.pk),
        announcement=team_key.announcement(),
    )
    assert suite1.public_bytes(opened) == bytes(team_key.public_key)
