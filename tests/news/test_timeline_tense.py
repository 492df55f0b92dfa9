"""The tense of a sentence and the status of its event (qa/news/timeline/tense.py), and a weekday read the way of its
tense (qa/news/timeline/dates.py): deterministic rules, French and English, on sentences of the kind news writes.
The issue's cases: "vendredi" in articles of Thursday 2020-07-02 about the Ségur de la santé."""

from __future__ import annotations

from datetime import date

import pytest
from qa.news.timeline import parse_when, resolve_date
from qa.news.timeline.dates import weekday_date
from qa.news.timeline.tense import is_cancelled, status_of, tense_of

THURSDAY = "2020-07-02"


@pytest.mark.parametrize("sentence, when, tense", [
    ("Ces six personnes ont été interpellées mardi dans plusieurs départements.", "mardi", "past"),
    ("La réunion se tiendra vendredi au ministère.", "vendredi", "future"),
    ("Le ministre a indiqué que la réunion se tiendra mardi.", "mardi", "future"),  # its clause: "se tiendra"
    ("Le ministre a indiqué mardi que la réunion se tiendra bientôt.", "mardi", "past"),  # its clause: "a indiqué"
    ("La concertation, lancée le 25 mai, devait aboutir vendredi.", "vendredi", "future"),
    ("La concertation, lancée le 25 mai, devait aboutir vendredi.", "le 25 mai", "past"),  # "lancée", its clause
    ("Le trafic sera perturbé lundi.", "lundi", "future"),
    ("Les députés devraient voter le texte jeudi.", "jeudi", "future"),
    ("He was arrested on Friday.", "on Friday", "past"),
    ("The meeting will be held on Friday.", "on Friday", "future"),  # "held" after "be": the verb is "will"
    ("She said on Tuesday the plant would close.", "on Tuesday", "past"),
    ("The vote is scheduled for Monday.", "for Monday", "future"),
    ("Il aurait dépensé 20 000 euros mardi, selon les enquêteurs.", "mardi", "past"),  # alleged, not ahead
    ("Le sommet aurait lieu mardi.", "mardi", "future"),
    ("Le portrait officiel du président de la République.", "", None),  # "portrait" is no conditional
])
def test_the_tense_of_the_clause_that_holds_the_date_words(sentence, when, tense):
    assert tense_of(sentence, when) == tense


def test_status_cancelled_planned_done():
    assert is_cancelled('Les réunions ont été toutes deux "annulées", selon les syndicats.')
    assert is_cancelled("The match was called off on Saturday.") and is_cancelled("Le concert est reporté.")
    assert not is_cancelled("Le rapport a été publié mardi.")
    assert status_of("La réunion a été annulée.", "past", False) == "cancelled"
    assert status_of("La réunion se tiendra vendredi.", "future", True) == "planned"
    assert status_of("Il a été arrêté mardi.", "past", False) == "done"
    assert status_of("Il a été arrêté.", None, True) == "planned"  # dated after its article


def test_a_weekday_goes_the_way_of_its_tense_from_the_article_day():
    thursday = date(2020, 7, 2)
    assert weekday_date(4, thursday, "future") == date(2020, 7, 3)  # vendredi: the coming one
    assert weekday_date(4, thursday, "past") == date(2020, 6, 26)  # the last one
    assert weekday_date(3, thursday, "past") == weekday_date(3, thursday, "future") == thursday  # its own day
    assert weekday_date(3, thursday, "future", strict=True) == date(2020, 7, 9)  # "jeudi prochain"
    assert parse_when("vendredi", thursday, ["fr"], tense="future") == (date(2020, 7, 3), "day")
    assert parse_when("vendredi", thursday, ["fr"]) == (date(2020, 6, 26), "day")  # unknown: the past
    assert parse_when("mardi prochain", thursday, ["fr"], tense="past") == (date(2020, 7, 7), "day")  # its words win
    assert parse_when("last Friday", thursday, ["en"], tense="future") == (date(2020, 6, 26), "day")
    assert parse_when("ce week-end", thursday, ["fr"], tense="future") == (date(2020, 7, 4), "day")  # its Saturday
    assert parse_when("ce week-end", date(2020, 7, 6), ["fr"], tense="past") == (date(2020, 7, 4), "day")
    assert parse_when("ce vendredi", date(2018, 3, 30), ["fr"]) == (date(2018, 3, 30), "day")  # this week's
    assert parse_when("demain", thursday, ["fr"]) == (date(2020, 7, 3), "day")
    assert parse_when("hier", thursday, ["fr"]) == (date(2020, 7, 1), "day")


def test_the_segur_de_la_sante_fridays():
    planned = resolve_date("vendredi", "Cette vaste concertation sur l'avenir du système de santé, lancée le 25 mai "
                           "par Edouard Philippe, devait initialement aboutir vendredi avec une réunion du \"Comité "
                           "Ségur national\".", THURSDAY, ["fr"])
    assert (planned.date, planned.status) == ("2020-07-03", "cancelled")  # "initialement": the plan changed
    called_off = resolve_date("", "Mais la réunion de vendredi, ainsi qu'une ultime séance de négociations prévue "
                              "jeudi après-midi, ont été toutes deux \"annulées\", selon les syndicats.", THURSDAY,
                              ["fr"])
    assert (called_off.date, called_off.status) == ("2020-07-03", "cancelled")
    launch = resolve_date("le 25 mai", "Cette vaste concertation, lancée le 25 mai par Edouard Philippe, devait "
                          "initialement aboutir vendredi.", THURSDAY, ["fr"])
    assert (launch.date, launch.status) == ("2020-05-25", "done")
    arrest = resolve_date("", "La fille de l'ex-magnat britannique Robert Maxwell, 58 ans, a été interpellée jeudi "
                          "matin dans la ville de Bradford.", THURSDAY, ["fr"])
    assert (arrest.date, arrest.when, arrest.status) == ("2020-07-02", "jeudi", "done")


def test_the_relative_days_and_weekends_of_a_sentence_are_its_date_words():
    from qa.news.timeline import sentence_date_words

    assert sentence_date_words("Débat tendu hier soir sur BFM TV.", ["fr"]) == "hier"
    assert sentence_date_words("Les températures vont chuter ce week-end.", ["fr"]) == "ce week-end"
    assert sentence_date_words("Il a démissionné, a annoncé jeudi 24 janvier le ministre.", ["fr"]) == (
        "jeudi 24 janvier")


def test_a_background_sentence_is_not_dated_by_its_article():
    from qa.news.timeline.tense import is_background

    assert is_background("Ghislaine Maxwell était une très proche collaboratrice et fut brièvement sa petite amie.")
    assert is_background("Emmanuel Macron avait promis durant l'épidémie un plan massif.")
    assert not is_background("Ghislaine Maxwell a été arrêtée dans le New Hampshire.")
    assert not is_background("The company said profits rose.")
    assert resolve_date("", "Ghislaine Maxwell était une très proche collaboratrice.", THURSDAY, ["fr"]).startswith(
        "no date words, and told as background")
    assert resolve_date("", "Ghislaine Maxwell a été arrêtée.", THURSDAY, ["fr"]).dated_by == "article"
    assert resolve_date("", '"La réforme des retraites est-elle à mettre à la poubelle ?', THURSDAY, ["fr"]) == (
        "no date words, and a question, not the day's event")
    assert resolve_date("", "Le musée ouvre en 1935.- Quel est son statut ?", THURSDAY, ["fr"]).date == "1935"


def test_a_plan_told_as_what_was_first_meant_was_changed():
    assert status_of("La concertation devait initialement aboutir vendredi.", "future", True) == "cancelled"
    assert status_of("The summit was originally scheduled for Friday.", "future", True) == "cancelled"
    assert status_of("Le projet, lancé à l'origine par la mairie, a abouti mardi.", "past", False) == "done"
