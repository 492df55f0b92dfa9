"""Fast tests of the answer logic: citations, the fact check, language, fusion, filters."""

from qa.answers import Passage, finalize, question_language, select_passages
from qa.citations import cited_numbers, is_refusal, names_in, strip_citations, unsupported_facts
from qa.retrieval import Filters, collapse_near_duplicates, fuse
from qa.store import StoredChunk


def _chunk(i, text, lang="fr", article="a1", **kw):
    return StoredChunk(id=f"{article}::{i}", article_id=article, title=f"Titre {article}", text=text, lang=lang,
                       start=0, end=len(text), **kw)


def _passages(*texts, lang="fr"):
    return [Passage(n=i + 1, chunk=_chunk(i, t, lang, article=f"a{i + 1}"), text=t, start=0, end=len(t))
            for i, t in enumerate(texts)]


def test_citation_parsing_and_stripping():
    answer = "Reuters l'a interrogé [1][5], à New York [2, 3]."
    assert cited_numbers(answer) == [1, 5, 2, 3]
    assert strip_citations(answer, {1, 2}) == "Reuters l'a interrogé [1], à New York [2]."


def test_names_skip_sentence_starts():
    assert names_in("Il a rencontré Emmanuel Macron à Paris. Le lendemain, Berlin.") == {"Emmanuel Macron", "Paris", "Berlin"}
    assert names_in("The Reuters editor met Jens Stoltenberg [2].") == {"Reuters", "Jens Stoltenberg"}


def test_unsupported_numbers_and_names():
    evidence = "Le gouvernement débloque 7 milliards d'euros, a annoncé Olivier Véran jeudi."
    assert unsupported_facts("Olivier Véran a annoncé 7 milliards [1].", evidence) == []
    assert unsupported_facts("Olivier Véran a annoncé 8 milliards [1].", evidence) == ["8"]
    assert [m for m in unsupported_facts("Selon Paul Krugman, 7 milliards [1].", evidence) if "Paul Krugman" in m]
    assert unsupported_facts("Olivier Veran a annonce 7 milliards.", evidence) == []  # accents do not matter
    assert unsupported_facts("Monsieur Véran a annoncé 7 milliards.", evidence) == []
    assert unsupported_facts("Paul Véran a annoncé 7 milliards.", evidence) == []  # the family name ties it
    assert unsupported_facts("Minister Véran said 7 billion.", evidence, check_names=False) == []
    assert unsupported_facts("The talks took place in London.", "Les négociations ont eu lieu à Londres.",
                             check_names=False) == []  # a translated name shares its stem
    assert unsupported_facts("Paul Krugman said 7 billion.", evidence, check_names=False) == ["Paul Krugman"]
    evidence = "Ghislaine Maxwell a été arrêtée aux États-Unis, dans le New Hampshire."
    assert unsupported_facts("The United States arrested Maxwell in New Hampshire.", evidence, check_names=False) == []
    assert unsupported_facts("Epstein served in the United States Navy.", evidence,
                             check_names=False) == ["Epstein", "United States Navy"]  # one stem in three
    assert unsupported_facts("On July 2, Maxwell was arrested.", evidence + " Date: 2020-07-02", check_names=False) == []
    assert unsupported_facts("Jeudi 2 Juillet, Maxwell est arrêtée.", "On Thursday 2 July, Maxwell was arrested.") == []
    assert unsupported_facts("On Monday in August, Maxwell was arrested.", evidence + " Date: 2020-07-02",
                             check_names=False) == ["August", "Monday"]


def test_finalize_keeps_valid_citations_and_quotes_article_text():
    passages = _passages("Jens Stoltenberg a parlé à Reuters mercredi.", "Poutine a prononcé un discours.")
    answer = finalize("Qui a interrogé Stoltenberg ?", "Reuters a interrogé Jens Stoltenberg [1][7].", passages, "fr")
    assert not answer.refused
    assert answer.answer == "Reuters a interrogé Jens Stoltenberg [1]."
    assert [(s.n, s.quote, s.article_id) for s in answer.sources] == [(1, passages[0].text, "a1")]


def test_finalize_refuses_invented_facts_and_model_refusals():
    passages = _passages("Le prix a été remis à Stockholm en 2019.")
    invented = finalize("Who won the 2019 economics Nobel?", "Paul Krugman won it in 2019 [1].", passages, "en")
    assert invented.refused and invented.answer == "The articles do not contain the answer to this question."
    assert "Paul Krugman" in invented.unsupported
    refused = finalize("Qui ?", "NOT_FOUND", passages, "fr")
    assert refused.refused and refused.answer.startswith("Les articles ne contiennent pas")
    assert finalize("Qui ?", "Quelqu'un.", [], "fr").refused


def test_finalize_attaches_a_citation_when_the_model_forgot():
    passages = _passages("La mairie de Lyon a ouvert un pont.", "Le ministre Véran a débloqué 400 millions d'euros.")
    answer = finalize("Combien ?", "Le ministre a débloqué 400 millions d'euros.", passages, "fr")
    assert not answer.refused and answer.answer.endswith("[2]") and answer.sources[0].n == 2


def test_facts_gathered_from_unrelated_passages_are_refused():
    passages = _passages("Jens Stoltenberg a parlé à Reuters.", "Des policiers de Bobigny ont été mis en examen.")
    answer = finalize("Where was Stoltenberg interviewed?", "Stoltenberg was interviewed in Bobigny [1].", passages, "en")
    assert answer.refused and "Bobigny" in answer.unsupported


def test_a_wrong_citation_number_is_corrected():
    passages = _passages("La mairie de Lyon a ouvert un pont.", "Le ministre Véran a débloqué 400 millions d'euros.")
    answer = finalize("Combien ?", "Véran a débloqué 400 millions d'euros [1].", passages, "fr")
    assert not answer.refused and answer.answer.endswith("[2]") and [s.n for s in answer.sources] == [2]


def test_cross_lingual_answer_checks_numbers_not_translated_names():
    passages = _passages("Les États-Unis ont versé 400 millions d'euros.")
    ok = finalize("How much did the United States pay?", "The United States paid 400 million euros [1].", passages, "en")
    assert not ok.refused
    bad = finalize("How much did the United States pay?", "The United States paid 500 million euros [1].", passages, "en")
    assert bad.refused


def test_question_language():
    assert question_language("Qui a interrogé Stoltenberg ?") == "fr"
    assert question_language("Who interviewed Stoltenberg?") == "en"
    assert question_language("Et quand était-ce ?") == "fr"
    assert question_language("How many subscribers did AOL lose?") == "en"
    assert question_language("Wer hat Stoltenberg interviewt?") == "de"


def test_reciprocal_rank_fusion_and_near_duplicates():
    a, b, c = _chunk(0, "alpha beta gamma delta"), _chunk(1, "un deux trois"), _chunk(2, "quatre cinq six")
    fused = fuse([([a, b], 1.0), ([c, a], 1.0)])
    assert [x.id for x in fused] == [a.id, c.id, b.id]
    twin = _chunk(3, "alpha beta gamma delta", article="copy")
    assert [x.id for x in collapse_near_duplicates([a, twin, b])] == [a.id, b.id]


def test_filters_to_chroma_where_and_accepts():
    assert Filters().to_where() is None
    where = Filters(languages=["fr"], date_from="2020-01-01", date_to="2020-12-31").to_where()
    assert where == {"$and": [{"lang": {"$in": ["fr"]}}, {"date_int": {"$gte": 20200101}},
                              {"date_int": {"$lte": 20201231}}]}
    f = Filters(sources=["AFP"], date_from="2020-01-01")
    assert f.accepts(_chunk(0, "x", source="AFP", date="2020-05-01"))
    assert not f.accepts(_chunk(0, "x", source="AFP", date="2019-05-01"))
    assert not f.accepts(_chunk(0, "x", source="Reuters", date="2020-05-01"))


def test_select_passages_picks_the_relevant_sentences():
    from qa.embeddings import get_embedder

    text = ("La météo sera clémente ce week-end. Le maire a inauguré la médiathèque samedi. "
            "Le budget de la médiathèque atteint 12 millions d'euros. Les travaux ont duré trois ans. "
            "Un concert est prévu dimanche. Les commerçants se réjouissent.")
    chunk = _chunk(0, text)
    [passage] = select_passages("Combien a coûté la médiathèque ?", [chunk], get_embedder(), window=2, whole=0)
    assert "12 millions" in passage.text and "météo" not in passage.text
    assert text[passage.start:passage.end] == passage.text


def test_bare_citation_answer_is_a_refusal():
    assert is_refusal("[1]") and is_refusal(" [2]. ") and is_refusal("[1, 2]") and is_refusal("") and is_refusal("NOT_FOUND")
    assert not is_refusal("2019 [1]") and not is_refusal("Reuters [1].")
    passages = _passages("Jens Stoltenberg a parlé à Reuters mercredi.")
    answer = finalize("Qui a interrogé Stoltenberg ?", "[1]", passages, "fr")
    assert answer.refused and answer.sources == [] and "ne contiennent pas" in answer.answer
    assert not finalize("En quelle année ?", "2019 [1]", _passages("C'était en 2019."), "fr").refused


def test_a_cut_number_is_not_supported():
    evidence = "McLaren a rappelé 2 763 voitures en avril 2020, soit 2,2 millions d'euros de frais."
    assert unsupported_facts("McLaren recalled 2 cars [1].", evidence, check_names=False) == ["2"]
    assert unsupported_facts("McLaren recalled 20 cars [1].", evidence, check_names=False) == ["20"]
    assert unsupported_facts("McLaren recalled 2,763 cars in April 2020 [1].", evidence, check_names=False) == []
    assert unsupported_facts("It cost 2.2 million euros [1].", evidence, check_names=False) == []
    assert unsupported_facts("It cost 2,200,000 euros [1].", evidence, check_names=False) == []
    assert unsupported_facts("They climbed to 4 [1].", "Il allait monter à 4.000 pieds.", check_names=False) == ["4"]
    assert unsupported_facts("1. 1.75 times faster [1].", "1,75 fois plus vite", check_names=False) == []
    assert unsupported_facts("It cost £44m [1].", "The bill was 44 million pounds.") == []
    question = "How many cars did McLaren recall in April 2020?"
    assert unsupported_facts("2,763 cars in April 2020 [1].", evidence.replace(" en avril 2020", ""), question,
                             check_names=False) == []
    assert unsupported_facts("2,763 cars in May 2020 [1].", evidence, question, check_names=False) == ["May"]
    assert unsupported_facts("On 2 July, 2.2 million [1].", "Le 02 juillet, 2 200 000 euros.", check_names=False) == []


def test_a_question_word_no_passage_spells_may_be_translated_in_the_answer():
    passages = _passages("Selon une étude de la DREES, 167 000 Françaises vivent dans un désert obstétrique.",
                         "Des policiers de Bobigny ont été mis en examen.")
    passages += _passages("French police officers were charged.", lang="en")  # spelled, but in English
    passages[-1].n = 3
    question = "How many French women live in an obstetric desert?"
    answer = finalize(question, "167,000 French women live in an obstetric desert [1].", passages, "en")
    assert not answer.refused and answer.sources[0].n == 1
    answer = finalize(question, "167,000 German women live in an obstetric desert [1].", passages, "en")
    assert answer.refused and "German" in answer.unsupported


def test_a_name_may_come_from_the_cited_passage_s_article():
    passages = _passages("Le Japon a rendu les sacs plastiques payants dans les konbini.",
                         "Leur tarif tourne autour de 3 yens.", "Des policiers de Bobigny ont été mis en examen.")
    passages[1].chunk.article_id = passages[0].chunk.article_id  # two passages of one article
    question = "Quel est le tarif des sacs plastiques au Japon ?"
    answer = finalize(question, "Au Japon, leur tarif est de 3 yens [2].", passages, "fr")
    assert not answer.refused and [s.n for s in answer.sources] == [2]
    answer = finalize(question, "À Bobigny, leur tarif est de 3 yens [2].", passages, "fr")
    assert answer.refused and "Bobigny" in answer.unsupported  # in another article: not this one's


def test_numbers_of_a_passage_in_another_language_are_written_the_answer_s_way():
    from qa.numbers import localize_numbers

    text = "McLaren a rappelé 2 763 voitures, à 4.000 pieds, pour 2,5 %, en 2019 2 000 fois, le 02.07.2020 à 14.30."
    assert localize_numbers(text, "fr", "en") == ("McLaren a rappelé 2,763 voitures, à 4,000 pieds, pour 2.5 %, "
                                                  "en 2019 2,000 fois, le 02.07.2020 à 14.30.")
    assert localize_numbers(text, "fr", "fr") == text and localize_numbers(text, "fr", "de") == text
    assert localize_numbers("2.2 millions, 3\u202f000\u00a0000 euros", "fr", "en") == "2.2 millions, 3,000,000 euros"
    assert localize_numbers("2,763 cars", "en", "fr") == "2,763 cars"
