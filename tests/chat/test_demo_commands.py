"""The demo helpline: seeded once, and a browser device of the demo user can be certified
and given the team key from the command line."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat import selectors
from chat.crypto import certs, suite1
from chat.crypto.keys import DeviceKeys
from chat.models import Device
from chat.services.devices import device_register
from ops.canned import rules
from ops.canned.models import CannedReply, CannedVariable
from ops.canned.services import canned_variables_set


@pytest.fixture
def demo_dir(settings, tmp_path):
    settings.CHAT_DEMO_DIR = tmp_path / "demo"
    # What demo_seed writes under var/ on the embedded default (the VAPID key) goes
    # here, not into the checkout, where later processes would read it.
    settings.VAR_DIR = tmp_path
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
    assert bytes(wrap.kem_public_key) == browser.kem_public
    opened = certs.team_wrap_open(
        bytes(wrap.ciphertext),
        device_kem_key=browser.kem,
        device_id=str(device.pk),
        announcement=team_key.announcement(),
    )
    assert suite1.public_bytes(opened) == bytes(team_key.public_key)


@pytest.mark.django_db
def test_demo_seed_fills_the_canned_variables_and_keeps_those_set_since(demo_dir):
    call_command("demo_seed")
    values = {(v.name, v.language): v.value for v in CannedVariable.objects.all()}
    assert {name for name, _ in values} == set(rules.STORED_VARIABLES)
    prep = CannedReply.objects.get(shortcut="prep").texts.get(language="fr")
    filled, missing = rules.body_fill(prep.body, {name: v for (name, _), v in values.items()})
    assert missing == [] and "Saint-Louis" in filled

    # A coordinator of the demo set the testing centre and removed the phone: kept.
    canned_variables_set(
        values=[
            (name, language, "CeGIDD du quartier" if name == "testing_centre" else value)
            for (name, language), value in values.items()
            if name != "phone"
        ]
    )
    call_command("demo_seed")
    again = {(v.name, v.language): v.value for v in CannedVariable.objects.all()}
    assert again[("testing_centre", "")] == "CeGIDD du quartier"
    assert ("phone", "") in again  # no value at all: the demo's comes back
