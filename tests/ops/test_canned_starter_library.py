"""What the starter library (ops/canned/starter_library.json) tells visitors: one test
per fact that was wrong or missing and could hurt someone, in every language staff may
send it in, so that the error cannot come back unnoticed in one translation.

The markers are the words each translation uses for the fact; a reworded translation
must keep saying the same thing (and may update its marker here)."""

from __future__ import annotations

import json
import re

import pytest

from ops.canned import formats, rules
from ops.management.commands.canned_load import STARTER_LIBRARY

LANGUAGES = rules.BASE_LANGUAGES
REPLIES = {
    reply.shortcut: reply for reply in formats.library_from_json(STARTER_LIBRARY.read_bytes())
}


def body(shortcut: str, language: str) -> str:
    return REPLIES[shortcut].texts[language].body


def has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<!\d){re.escape(number)}(?!\d)", text) is not None


# -- the library as a whole ---------------------------------------------------------------


def test_every_entry_is_written_in_every_visitor_language_and_brazilian_portuguese():
    assert "pt-BR" in LANGUAGES
    for shortcut, reply in REPLIES.items():
        assert list(reply.texts) == list(LANGUAGES), shortcut


def test_every_entry_stays_to_be_reviewed_by_medical_and_legal_staff():
    starter = json.loads(STARTER_LIBRARY.read_text("utf-8"))
    assert "reviewed by the association's medical and legal staff" in starter["note"]
    assert all(reply["reviewed"] is False for reply in starter["replies"])


def test_every_source_is_a_url_with_the_day_it_was_checked():
    for shortcut, reply in REPLIES.items():
        if shortcut != "venir":  # the association's own details: no fact to source
            assert reply.sources, shortcut
        for source in reply.sources:
            assert re.search(r" — https://\S+ \(checked on \d{4}-\d{2}-\d{2}\)$", source), source


def test_the_missing_topics_are_there():
    assert {"ame", "mpox", "tpe-prep"} <= set(REPLIES)


# -- PrEP: daily for cis women (HAS 2024 keeps on-demand to cis men and trans women) ----

PREP_DAILY_FOR_WOMEN = {
    "fr": "une femme (ou un homme trans) : un comprimé chaque jour, sans arrêter",
    "en": "a woman (or a trans man): one tablet every day, without stopping",
    "bg": "жена (или транс мъж): по една таблетка всеки ден, без прекъсване",
    "ro": "femeie (sau bărbat trans): o pastilă în fiecare zi, fără pauză",
    "ru": "женщина (или транс-мужчина): одна таблетка каждый день, без перерывов",
    "es": "mujer (o un hombre trans): una pastilla cada día, sin parar",
    "pt": "mulher (ou homem trans): um comprimido todos os dias, sem parar",
    "pt-BR": "mulher (ou homem trans): um comprimido todo dia, sem parar",
    "zh": "女性（或跨性别男性）：每天吃一片，不要停",
}
PREP_NOT_AROUND_SEX_FOR_WOMEN = {
    "fr": "ne vous protège pas assez",
    "en": "does not protect you enough",
    "bg": "не ви пази достатъчно",
    "ro": "nu vă protejează destul",
    "ru": "защищает недостаточно",
    "es": "no protege lo suficiente",
    "pt": "não protege o suficiente",
    "pt-BR": "não protege o suficiente",
    "zh": "保护不够",
}
PREP_WHERE = {  # any doctor since June 2021; free at a CeGIDD; covered by the AME
    "fr": "juin 2021",
    "en": "June 2021",
    "bg": "юни 2021",
    "ro": "iunie 2021",
    "ru": "июня 2021",
    "es": "junio de 2021",
    "pt": "junho de 2021",
    "pt-BR": "junho de 2021",
    "zh": "2021年6月",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_prep_is_daily_for_women_and_not_only_around_sex(language):
    text = body("prep", language)
    assert PREP_DAILY_FOR_WOMEN[language] in text
    assert PREP_NOT_AROUND_SEX_FOR_WOMEN[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_prep_any_doctor_since_june_2021_free_at_a_cegidd_covered_by_ame(language):
    text = body("prep", language)
    assert PREP_WHERE[language] in text
    assert "CeGIDD" in text
    assert "AME" in text


PEP_TO_PREP_DAILY_FOR_WOMEN = {
    "fr": "Femmes (et hommes trans) : la PrEP se prend chaque jour",
    "en": "Women (and trans men): PrEP is taken every day",
    "bg": "Жени (и транс мъже): PrEP се взема всеки ден",
    "ro": "Femei (și bărbați trans): PrEP se ia în fiecare zi",
    "ru": "Женщинам (и транс-мужчинам): PrEP принимают каждый день",
    "es": "Mujeres (y hombres trans): la PrEP se toma cada día",
    "pt": "Mulheres (e homens trans): a PrEP toma-se todos os dias",
    "pt-BR": "Mulheres (e homens trans): a PrEP é tomada todo dia",
    "zh": "女性（和跨性别男性）：PrEP 要每天吃",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_going_from_pep_to_prep_is_said_and_daily_for_women(language):
    assert PEP_TO_PREP_DAILY_FOR_WOMEN[language] in body("tpe-prep", language)
    assert "PrEP" in body("tpe", language)  # PEP's entry points to PrEP too


# -- PEP: about a month, a 3–5-day starter kit, ideally within 4 hours, at most 48 ------

ABOUT_A_MONTH = {
    "fr": "environ un mois",
    "en": "about a month",
    "bg": "около месец",
    "ro": "aproximativ o lună",
    "ru": "около месяца",
    "es": "alrededor de un mes",
    "pt": "cerca de um mês",
    "pt-BR": "cerca de um mês",
    "zh": "大约一个月",
}
STARTER_KIT = {
    "fr": "3 à 5 jours",
    "en": "3 to 5 days",
    "bg": "3 до 5 дни",
    "ro": "3–5 zile",
    "ru": "3–5 дней",
    "es": "3 a 5 días",
    "pt": "3 a 5 dias",
    "pt-BR": "3 a 5 dias",
    "zh": "3到5天",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_pep_lasts_about_a_month_not_28_days(language):
    text = body("tpe", language)
    assert ABOUT_A_MONTH[language] in text
    assert not has_number(text, "28")


@pytest.mark.parametrize("language", LANGUAGES)
def test_pep_starts_at_once_with_a_starter_kit_within_4_hours_at_most_48(language):
    text = body("tpe", language)
    assert STARTER_KIT[language] in text
    assert has_number(text, "4") and has_number(text, "48")


# -- testing: VIH Test (2022) and Mon test IST (2024) --------------------------------------

NOT_ANONYMOUS_AT_A_LAB = {
    "fr": "n’est pas anonyme",
    "en": "not anonymous",
    "bg": "не е анонимен",
    "ro": "nu este anonim",
    "ru": "не анонимный",
    "es": "no es anónima",
    "pt": "não é anónimo",
    "pt-BR": "não é anônimo",
    "zh": "不是匿名",
}

WITHOUT_PRESCRIPTION = {
    "fr": "sans ordonnance",
    "en": "without a prescription",
    "bg": "без рецепта",
    "ro": "fără rețetă",
    "ru": "без рецепта",
    "es": "sin receta",
    "pt": "sem receita",
    "pt-BR": "sem receita",
    "zh": "不需要处方",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_testing_names_free_lab_tests_without_prescription_and_says_they_are_not_anonymous(
    language,
):
    text = body("depistage", language)
    assert "Mon test IST" in text
    assert WITHOUT_PRESCRIPTION[language] in text
    assert has_number(text, "2022") and has_number(text, "2024")
    assert has_number(text, "26")  # chlamydia, gonorrhoea, syphilis, hepatitis B: under 26
    assert "Vitale" in text and "AME" in text
    assert NOT_ANONYMOUS_AT_A_LAB[language] in text


# -- "free in pharmacy": only with cover; minors on their word; otherwise CeGIDD --------


@pytest.mark.parametrize("shortcut", ["preservatif", "pilule-urgence"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_free_in_pharmacy_only_with_cover_else_a_cegidd(shortcut, language):
    text = body(shortcut, language)
    assert "Vitale" in text and "AME" in text and "attestation de droits" in text
    assert has_number(text, "18")  # under 18: declaring one's age is enough
    assert "CeGIDD" in text


COPPER_IUD = {
    "fr": "cuivre",
    "en": "copper",
    "bg": "медна спирала",
    "ro": "cupru",
    "ru": "медная спираль",
    "es": "cobre",
    "pt": "cobre",
    "pt-BR": "cobre",
    "zh": "含铜宫内节育器",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_emergency_contraception_includes_the_copper_iud(language):
    text = body("pilule-urgence", language)
    assert COPPER_IUD[language] in text
    assert has_number(text, "5")


def test_chinese_emergency_pill_is_asked_for_free_not_bought_or_reimbursed():
    text = body("pilule-urgence", "zh")
    assert "免费" in text
    assert "买" not in text and "报销" not in text


@pytest.mark.parametrize("shortcut", ["tpe", "viol"])
def test_emergency_contraception_is_not_reduced_to_the_pill(shortcut):
    assert "pílula" not in body(shortcut, "pt") and "contraceção de emergência" in body(
        shortcut, "pt"
    )
    assert "anticoncepção de emergência" in body(shortcut, "pt-BR")
    assert re.search(r"紧急避孕(?!药)", body(shortcut, "zh"))


def test_the_bulgarian_emergency_contraception_title_is_plain():
    assert REPLIES["pilule-urgence"].texts["bg"].title == "Спешна контрацепция"


# -- after a rape --------------------------------------------------------------------------

NEVER_TOO_LATE = {
    "fr": "jamais trop tard",
    "en": "never too late",
    "bg": "никога не е късно",
    "ro": "niciodată nu este prea târziu",
    "ru": "никогда не поздно",
    "es": "nunca es tarde",
    "pt": "nunca é tarde",
    "pt-BR": "nunca é tarde",
    "zh": "都不算晚",
}
EVIDENCE_WITHOUT_COMPLAINT = {
    "fr": "même sans plainte",
    "en": "even without a police report",
    "bg": "дори без жалба",
    "ro": "chiar fără plângere",
    "ru": "даже без заявления",
    "es": "incluso sin denuncia",
    "pt": "mesmo sem queixa",
    "pt-BR": "mesmo sem queixa",
    "zh": "不报警的情况下",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_a_rape_48_hours_is_not_too_late_and_evidence_can_be_kept_without_complaint(
    language,
):
    text = body("viol", language)
    assert NEVER_TOO_LATE[language] in text
    assert has_number(text, "48") and has_number(text, "5")  # PEP; emergency contraception
    assert EVIDENCE_WITHOUT_COMPLAINT[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_a_rape_men_and_trans_people_are_given_116_006_not_only_3919(language):
    text = body("viol", language)
    assert "3919" in text and "116 006" in text


@pytest.mark.parametrize("shortcut", ["urgences", "violences"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_emergency_and_violence_entries_give_15_18_and_116_006(shortcut, language):
    text = body(shortcut, language)
    for number in ("15", "17", "18", "112", "114", "3919", "116 006"):
        assert has_number(text, number), number


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_emergency_numbers_are_all_there(language):
    for number in ("112", "17", "15", "18", "114", "3919", "119", "115", "116 006"):
        assert has_number(body("urgences", language), number), number


# -- rights --------------------------------------------------------------------------------


# "Talk to us before you go" (undocumented people were detained after going to the
# police) and "go with someone" (the association, a lawyer), in each language's words.
TALK_TO_US_FIRST = {
    "fr": "parlez-en avec nous avant d’y aller",
    "en": "talk to us before you go",
    "bg": "поговорете с нас, преди да отидете",
    "ro": "vorbiți cu noi înainte să mergeți",
    "ru": "поговорите с нами, прежде чем идти",
    "es": "hable con nosotros antes de ir",
    "pt": "fale connosco antes de ir",
    "pt-BR": "fale com a gente antes de ir",
    "zh": "去之前请先和我们谈谈",
}
GO_WITH_SOMEONE = {
    "fr": "y aller avec quelqu’un",
    "en": "go with someone",
    "bg": "да отидете с някого",
    "ro": "să mergeți cu cineva",
    "ru": "пойти с кем-то",
    "es": "ir con alguien",
    "pt": "ir com alguém",
    "pt-BR": "ir com alguém",
    "zh": "找人陪您去",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_complaint_warns_of_detention_and_gives_the_alternatives(language):
    text = body("plainte", language)
    assert "rétention" in text  # undocumented victims detained after going to the police
    assert TALK_TO_US_FIRST[language] in text
    assert GO_WITH_SOMEONE[language] in text
    assert "procureur de la République" in text  # a written complaint
    assert "116 006" in text


EU_CITIZENS = {
    "fr": "Union européenne",
    "en": "European Union",
    "bg": "Европейския съюз",
    "ro": "Uniunii Europene",
    "ru": "Евросоюза",
    "es": "Unión Europea",
    "pt": "União Europeia",
    "pt-BR": "União Europeia",
    "zh": "欧盟公民",
}
ONE_YEAR = {
    "fr": "carte de séjour d’un an",
    "en": "one-year residence permit",
    "bg": "за една година",
    "ro": "de un an",
    "ru": "на один год",
    "es": "de un año",
    "pt": "de um ano",
    "pt-BR": "de um ano",
    "zh": "一年的居留卡",
}


# During the 30 days, with the récépissé: nobody may deport them, and they may work.
NOT_DEPORTED = {
    "fr": "personne ne peut vous expulser, et vous pouvez travailler",
    "en": "nobody can deport you, and you may work",
    "bg": "никой не може да ви изгони от страната и можете да работите",
    "ro": "nimeni nu vă poate expulza și puteți lucra",
    "ru": "вас не могут выслать, и вы можете работать",
    "es": "nadie le puede expulsar y puede trabajar",
    "pt": "ninguém pode fazer a sua expulsão, e pode trabalhar",
    "pt-BR": "ninguém pode deportar você, e você pode trabalhar",
    "zh": "任何人都不能把您驱逐出境，您也可以工作",
}
# The card is renewed for as long as the proceedings last.
RENEWED = {
    "fr": "renouvelée pendant toute la procédure",
    "en": "renewed for as long as the court case lasts",
    "bg": "подновява, докато трае делото",
    "ro": "reînnoit cât timp durează procesul",
    "ru": "продлевают, пока идёт судебное дело",
    "es": "renueva mientras dure el proceso",
    "pt": "renovada enquanto durar o processo",
    "pt-BR": "renovada enquanto durar o processo",
    "zh": "在整个诉讼期间都可以续签",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_residence_card_is_issued_with_30_days_to_decide_and_is_not_for_eu_citizens(
    language,
):
    text = body("titre-sejour", language)
    assert ONE_YEAR[language] in text
    assert RENEWED[language] in text
    assert has_number(text, "30") and "récépissé" in text
    assert NOT_DEPORTED[language] in text
    assert has_number(text, "10")
    assert EU_CITIZENS[language] in text


CHILD_PROTECTION = {
    "fr": "protection de l’enfance",
    "en": "child protection",
    "bg": "закрила на детето",
    "ro": "protecție a copilului",
    "ru": "защиты детей",
    "es": "protección de menores",
    "pt": "proteção de menores",
    "pt-BR": "proteção à criança",
    "zh": "儿童保护",
}
VICTIM = {
    "fr": "victime",
    "en": "victim",
    "bg": "жертва",
    "ro": "victimă",
    "ru": "жертвой",
    "es": "víctima",
    "pt": "vítima",
    "pt-BR": "vítima",
    "zh": "受害者",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_minor_is_told_they_are_a_victim_that_we_may_inform_child_protection_and_of_free_care(
    language,
):
    text = body("mineur", language)
    assert VICTIM[language] in text
    assert CHILD_PROTECTION[language] in text
    assert "CeGIDD" in text and "119" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_ame_after_3_months_and_the_hospital_pass_for_people_without_cover(language):
    text = body("ame", language)
    assert has_number(text, "3") and "AME" in text and "PASS" in text


MPOX_VACCINE = {
    "fr": "vaccin",
    "en": "vaccine",
    "bg": "ваксина",
    "ro": "vaccin",
    "ru": "вакцина",
    "es": "vacuna",
    "pt": "vacina",
    "pt-BR": "vacina",
    "zh": "疫苗",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_mpox_vaccination_is_offered(language):
    text = body("mpox", language)
    assert MPOX_VACCINE[language] in text and "CeGIDD" in text
