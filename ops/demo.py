"""The demo's rota and team (called by `manage.py demo_seed`; idempotent).

A realistic week of "permanences" — weekday afternoons 14:00–17:00, a Thursday evening
20:00–23:00, a Wednesday-morning slot for young people (minors) —, French public
holidays as closures, a few colleagues with their languages and skills (accounts
without devices or passwords: they fill the dashboard, they do not sign in), and a
one-off shift open now, so a newcomer sees routing work at once. The canned replies'
variables get demo values (a fictitious address and phone), so `/prep` and the others
are complete in the demo.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ops.canned.models import CannedVariable
from ops.canned.services import canned_variables_set
from ops.models import Shift, Skill, Slot, StaffProfile
from ops.rota import selectors as rota
from ops.rota.services import closures_public_holidays

OPEN_NOW_LABEL = "Permanence de démonstration"
# username → (label shown to visitors, languages, skills, capacity)
COLLEAGUES = {
    "camille": ("Médiatrice paire", ["fr", "ro", "bg"], [Skill.SOCIAL, Skill.TRANS], 4),
    "samir": ("Travailleur social", ["fr", "ar", "en"], [Skill.LEGAL, Skill.SOCIAL], 4),
    "lea": ("Infirmière", ["fr", "es", "pt"], [Skill.HEALTH, Skill.MINORS], 3),
}
DEMO_PROFILE = ("Infirmière", ["fr", "en"], [Skill.HEALTH], 4)
# (name, language, value): the association is fictitious; 01 99 00 xx xx is a range ARCEP
# keeps for fiction, so the number reaches nobody.
DEMO_VARIABLES = [
    ("address", "", "Association Démo, 12 rue de l’Exemple, 75010 Paris (métro Gare de l’Est)"),
    ("hours", "", "du lundi au vendredi de 14 h à 17 h, le jeudi aussi de 20 h à 23 h"),
    (
        "testing_centre",
        "",
        "CeGIDD de l’hôpital Saint-Louis, 1 avenue Claude-Vellefaux, Paris 10e",
    ),
    ("phone", "", "01 99 00 12 34"),
]


def profile_set(user: AbstractBaseUser, profile: tuple, *, coordinator: bool) -> None:
    label, languages, skills, capacity = profile
    StaffProfile.objects.update_or_create(
        user=user,
        defaults={
            "public_label": label,
            "languages": languages,
            "skills": [str(skill) for skill in skills],
            "capacity": capacity,
            "is_coordinator": coordinator,
        },
    )


def colleagues_seed() -> dict[str, AbstractBaseUser]:
    users = {}
    for username, profile in COLLEAGUES.items():
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        profile_set(user, profile, coordinator=False)
        users[username] = user
    return users


def slot_seed(
    weekday: int, start: time, end: time, label: str, staff: list, skill: str = ""
) -> None:
    slot, _ = Slot.objects.get_or_create(
        weekday=weekday, start=start, end=end, label=label, defaults={"skill": skill}
    )
    slot.staff.set(staff)


def weekly_seed(demo: AbstractBaseUser, team: dict[str, AbstractBaseUser]) -> None:
    camille, samir, lea = team["camille"], team["samir"], team["lea"]
    afternoon = "Permanence de l'après-midi"
    for weekday in range(5):
        slot_seed(weekday, time(14), time(17), afternoon, [demo, camille, samir])
    slot_seed(3, time(20), time(23), "Permanence du soir", [samir, demo])
    slot_seed(2, time(9, 30), time(12), "Permanence jeunes", [lea], skill=Skill.MINORS)


def open_now_seed(demo: AbstractBaseUser, team: dict[str, AbstractBaseUser], now: datetime) -> None:
    """A one-off shift from the last full hour to four hours later, so that it is open
    whenever the demo is (re)started; moved along on each run."""
    local = now.astimezone(rota.helpline_zone())
    start = local.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=4)
    shift, _ = Shift.objects.update_or_create(
        label=OPEN_NOW_LABEL,
        defaults={"date": start.date(), "start": start.time(), "end": end.time()},
    )
    shift.staff.set([demo, team["camille"], team["lea"]])


def demo_variables_seed() -> None:
    """Demo values for the canned replies' variables that have none; values someone set
    in the demo are kept."""
    kept = [(v.name, v.language, v.value) for v in CannedVariable.objects.all()]
    have = {(name, language) for name, language, _ in kept}
    added = [row for row in DEMO_VARIABLES if row[:2] not in have]
    if added:
        canned_variables_set(values=kept + added)


@transaction.atomic
def demo_rota_seed(*, demo: AbstractBaseUser, now: datetime, open_now: bool = True) -> None:
    """Seed (or refresh) the demo's team and rota around ``demo``, the demo account."""
    profile_set(demo, DEMO_PROFILE, coordinator=True)
    team = colleagues_seed()
    weekly_seed(demo, team)
    if open_now:
        open_now_seed(demo, team, now)
    else:
        Shift.objects.filter(label=OPEN_NOW_LABEL).delete()
    year = rota.local_date(now).year
    closures_public_holidays(years=[year, year + 1])
