"""A year of outreach for the demo (called by `manage.py demo_seed`, idempotent):
rounds on escort sites, dating apps and social networks every ten days or so, standing
stickers, flyers and a partner site, and the anonymous counts they would have left —
return rates rising from about 10 % to 23 % over the year, as one association's did.

Demo campaigns have fixed codes starting with "demo"; their counts are made again on
every start (deleted, then bulk-created), so the year always ends today. Nothing else is
touched.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ops.activity.counts import RESPONSE_BUCKETS
from ops.activity.models import ActivityDay, ActivityTopic, Outcome, Topic
from ops.models import Campaign, CampaignOpenDay, Channel

PREFIX = "demo"
ROUND_EVERY_DAYS = 10
# (site or app, channel, language of the round, team)
ROUND_PLACES = [
    ("Vivastreet", Channel.SITE, "fr", "Équipe du mardi"),
    ("Locanto", Channel.SITE, "bg", "Équipe du mardi"),
    ("Grindr", Channel.APP, "fr", "Équipe du jeudi soir"),
    ("Facebook", Channel.SOCIAL, "ro", "Médiatrices paires"),
    ("Sexemodel", Channel.SITE, "ru", "Équipe du mardi"),
    ("WeChat", Channel.SOCIAL, "zh", "Médiatrices paires"),
    ("Badoo", Channel.APP, "es", "Équipe du jeudi soir"),
    ("Wannonce", Channel.SITE, "pt", "Équipe du mardi"),
    ("Tinder", Channel.APP, "en", "Équipe du jeudi soir"),
]
# (code suffix, name, channel, place, conversations a month)
STANDING = [
    ("st-gare", "Stickers gare Saint-Jean", Channel.STICKER, "Gare Saint-Jean", 4),
    ("st-bus", "Stickers abribus cours de la Marne", Channel.STICKER, "Cours de la Marne", 2),
    ("fl-cegidd", "Flyers CeGIDD", Channel.FLYER, "CeGIDD", 3),
    ("pa-site", "Site partenaire — santé communautaire", Channel.PARTNER, "Site partenaire", 5),
]
MESSAGES = {
    "fr": "Bonjour, nous sommes une association de santé. Gratuit, anonyme : {link}",
    "en": "Hi, we are a health charity. Free and anonymous chat: {link}",
    "bg": "Здравей! Ние сме здравна асоциация. Безплатно и анонимно: {link}",
    "ro": "Bună! Suntem o asociație de sănătate. Gratuit și anonim: {link}",
    "ru": "Здравствуйте! Мы — ассоциация здоровья. Бесплатно и анонимно: {link}",
    "zh": "你好！我们是健康协会。免费、匿名：{link}",
    "es": "¡Hola! Somos una asociación de salud. Gratis y anónimo: {link}",
    "pt": "Olá! Somos uma associação de saúde. Grátis e anónimo: {link}",
}
OUTCOME_WEIGHTS = [
    (Outcome.INFORMED, 45),
    (Outcome.REFERRED, 15),
    (Outcome.APPOINTMENT, 8),
    (Outcome.NO_FOLLOW_UP, 12),
    ("", 20),
]
TOPIC_WEIGHTS = [
    (Topic.TESTING, 16),
    (Topic.PREP, 12),
    (Topic.CONDOMS, 10),
    (Topic.RIGHTS, 10),
    (Topic.VIOLENCE, 7),
    (Topic.HEALTH, 9),
    (Topic.TALK, 9),
    (Topic.HOUSING, 6),
    (Topic.PEP, 4),
    (Topic.CONTRACEPTION, 5),
    (Topic.ABORTION, 2),
    (Topic.EXIT, 3),
]
BUCKET_WEIGHTS = [
    *zip([name for _, name in RESPONSE_BUCKETS], [58, 25, 13], strict=True),
    ("answered_later", 4),
]


class Year:
    """The counts being made: rows keyed as the tables' unique constraints."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 — made-up demo figures, not secrets
        self.days: dict[tuple, Counter] = {}
        self.topics: Counter = Counter()
        self.opens: Counter = Counter()

    def pick(self, weights: list[tuple]) -> str:
        values, shares = zip(*weights, strict=True)
        return self.random.choices(values, shares)[0]

    def conversation(self, day: date, code: str, language: str, wrote: bool) -> None:
        """One conversation, counted as ops/activity/counts.py would at its deletion."""
        answered = wrote and self.random.random() < 0.94
        outcome = self.pick(OUTCOME_WEIGHTS) if answered else ""
        counts = self.days.setdefault((day, code, language, outcome), Counter())
        counts["conversations"] += 1
        counts["visitor_wrote"] += wrote
        counts["staff_answered"] += answered
        if answered:
            counts[self.pick(BUCKET_WEIGHTS)] += 1
            counts["long_conversations"] += self.random.random() < 0.4
            for topic in {self.pick(TOPIC_WEIGHTS) for _ in range(self.random.randint(1, 2))}:
                self.topics[(day, code, language, topic)] += 1

    def round(self, campaign: Campaign, rate: float, today: date) -> None:
        replies = round(campaign.messages_sent * rate)
        silent = round(replies * self.random.uniform(0.2, 0.45))
        for index in range(replies + silent):
            day = min(campaign.date + timedelta(days=int(self.random.expovariate(0.6))), today)
            language = campaign.language if self.random.random() < 0.85 else "fr"
            self.conversation(day, campaign.code, language, wrote=index < replies)
            self.opens[(campaign.code, day)] += self.random.randint(1, 2)

    def standing(self, code: str, per_month: int, start: date, today: date) -> None:
        day = start
        while day <= today:
            if self.random.random() < per_month / 30:
                language = self.pick([("fr", 5), ("en", 2), ("ro", 1), ("bg", 1), ("es", 1)])
                self.conversation(day, code, language, wrote=self.random.random() < 0.8)
                self.opens[(code, day)] += self.random.randint(1, 3)
            day += timedelta(days=1)


def campaign_put(code: str, now: datetime, **fields: object) -> Campaign:
    campaign, _ = Campaign.objects.update_or_create(
        code=code, defaults={"created_at": now, **fields}
    )
    return campaign


def rounds_seed(year: Year, today: date, now: datetime) -> None:
    count = 365 // ROUND_EVERY_DAYS
    for index in range(count):
        place, channel, language, team = ROUND_PLACES[index % len(ROUND_PLACES)]
        day = today - timedelta(days=ROUND_EVERY_DAYS * (count - index) - 3)
        campaign = campaign_put(
            f"{PREFIX}R{index:02d}",
            now,
            name=f"{place}, {day:%d/%m}",
            channel=channel,
            place=place,
            date=day,
            team=team,
            language=language,
            message=MESSAGES[language],
            messages_sent=year.random.randint(40, 180),
        )
        # The association got better at reaching out: 10 % → 23 % over the year.
        rate = 0.10 + 0.13 * index / (count - 1) + year.random.uniform(-0.03, 0.03)
        year.round(campaign, max(rate, 0.05), today)


def standing_seed(year: Year, today: date, now: datetime) -> None:
    for suffix, name, channel, place, per_month in STANDING:
        code = f"{PREFIX}-{suffix}"
        campaign_put(code, now, name=name, channel=channel, place=place, date=None)
        year.standing(code, per_month, today - timedelta(days=364), today)


@transaction.atomic
def demo_activity_seed(*, now: datetime) -> None:
    today = timezone.localdate(now)
    year = Year(seed=8)
    rounds_seed(year, today, now)
    standing_seed(year, today, now)
    ActivityDay.objects.filter(campaign_code__startswith=PREFIX).delete()
    ActivityTopic.objects.filter(campaign_code__startswith=PREFIX).delete()
    CampaignOpenDay.objects.filter(campaign_code__startswith=PREFIX).delete()
    ActivityDay.objects.bulk_create(
        ActivityDay(day=day, campaign_code=code, language=language, outcome=outcome, **counts)
        for (day, code, language, outcome), counts in year.days.items()
    )
    ActivityTopic.objects.bulk_create(
        ActivityTopic(day=day, campaign_code=code, language=language, topic=topic, conversations=n)
        for (day, code, language, topic), n in year.topics.items()
    )
    CampaignOpenDay.objects.bulk_create(
        CampaignOpenDay(campaign_code=code, day=day, opens=n)
        for (code, day), n in year.opens.items()
    )
