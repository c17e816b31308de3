"""The helpline as the widget sees it: set up (admin key, team key, a campaign) or not.

Built through the real key ceremonies (chat/keyring.py) and services, as `demo_seed`
builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from chat import keyring
from chat.crypto import suite1
from chat.crypto.keys import AdminKeys
from ops.campaigns.services import campaign_create


@dataclass
class Helpline:
    admin: AdminKeys
    campaign: str

    @property
    def fingerprint(self) -> str:
        return suite1.admin_fingerprint(self.admin.public).hex()


@pytest.fixture
def helpline(db) -> Helpline:
    """A helpline ready to take conversations, with one outreach campaign."""
    now = timezone.now()
    admin = keyring.admin_create(now=now)
    keyring.team_key_create(admin=admin, days=90, now=now)
    campaign = campaign_create(name="Maraude numérique — test", now=now, code="TOURNEE1")
    return Helpline(admin=admin, campaign=campaign.code)


@pytest.fixture
def helpline_without_team_key(db) -> AdminKeys:
    """An admin key exists, but no team key has been made yet."""
    return keyring.admin_create(now=timezone.now())
