from qa.text.cleaning import clean_text, normalize_date
from qa.text.language import detect_language
from tests.conftest import SEED


def test_seed_article_repeated_phrase_and_read_more_line():
    cleaned = clean_text(SEED.read_text(encoding="utf-8"))
    assert "a-t-il ajouté. a-t-il ajouté" not in cleaned
    assert "pour la Russie”, a-t-il ajouté, faisant référence" in cleaned
    assert "Lire la suite" not in cleaned
    assert "Dans un discours diffusé mercredi matin" in cleaned  # the paragraph after it is kept


def test_sentence_repeated_twice_collapses_but_distinct_sentences_stay():
    assert clean_text("Il pleut sur Paris. Il pleut sur Paris. Demain aussi.") == "Il pleut sur Paris. Demain aussi."
    assert clean_text("Non. Non. Jamais.") == "Non. Non. Jamais."  # too short to be an extraction artefact
    text = "Le ministre a parlé. Le ministre a parlé longuement."
    assert clean_text(text) == text  # not a repetition: the second sentence goes on


def test_whitespace_unicode_and_glued_sentences():
    raw = "Titre\u00a0 avec  espaces\r\n\r\n\r\n\r\nLa nuit de jeudi.Le gouvernement a dit\u200b oui.Cafe\u0301 U.S. Army 3.5 %"
    cleaned = clean_text(raw)
    assert cleaned == "Titre avec espaces\n\nLa nuit de jeudi. Le gouvernement a dit oui. Café U.S. Army 3.5 %"


def test_read_more_lines_in_both_languages():
    raw = "First paragraph.\nRead more: Another story here\nÀ lire aussi : autre chose\nLast paragraph."
    assert clean_text(raw) == "First paragraph.\nLast paragraph."


def test_language_detection():
    assert detect_language(SEED.read_text(encoding="utf-8")) == "fr"
    assert detect_language("Quarterly profit at Calloway Media Group jumped 64% in the three months") == "en"
    assert detect_language("ok") is None


def test_dates():
    assert normalize_date("2020-07-02") == "2020-07-02"
    assert normalize_date("2 mars 2020") == "2020-03-02"
    assert normalize_date("Tue, 03 Mar 2020 10:00:00 GMT") == "2020-03-03"
    assert normalize_date("not a date at all") is None
