"""Searching the library by content: ``Assistant.articles(search=...)`` and ``python -m qa articles --search``,
over the store that ``ingest.py`` builds from data/samples, the English fixture articles and one more
(:func:`tests.conftest.news_store`): the keyword index across accents and case, the embedder across languages,
best first, each article with its matching sentence."""

from __future__ import annotations

import json

from qa import Assistant
from tests.conftest import run_cli

ELEPHANTS = "orangesum-68"  # "Botswana: mort mystérieuse d'au moins 275 éléphants"


def test_words_of_the_text_across_accents_and_case(news_store):
    assistant = Assistant(store_dir=news_store, create=False)
    for query in ("éléphants", "elephants", "ELEPHANTS", "Eléphants"):
        found = assistant.articles(search=query)
        assert [a.id for a in found] == [ELEPHANTS], query
    # words of the text only, not of the title: "pachydermes" is said once, deep in the article
    [hit] = assistant.articles(search="pachydermes")
    assert hit.id == ELEPHANTS and hit.matched == "text" and "pachydermes" in hit.sentence
    assert assistant.articles(search="zzkx qwertyuiop") == []
    assert len(assistant.articles()) == len(assistant.articles(search="  ")) > 50  # no query: every article


def test_across_languages_best_first_with_the_matching_sentence(news_store):
    assistant = Assistant(store_dir=news_store, create=False)
    # English words for a French article ("mort mystérieuse", "éléphants"): its meaning, through the embedder
    found = assistant.articles(search="mysterious death of elephants in Africa")
    assert found[0].id == ELEPHANTS and found[0].sentence
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    # a French query for an English article: among the first (a French article holding one of its words, "médias",
    # may come before it)
    profit = assistant.articles(search="bénéfice trimestriel d'un groupe de médias")
    assert "en-business-001" in [a.id for a in profit[:2]], [a.id for a in profit[:3]]


def test_the_command_line(news_store):
    result = run_cli("-m", "qa", "articles", "--search", "Elephants", "--json", store=news_store)
    assert result.returncode == 0, result.stderr
    [hit] = json.loads(result.stdout)
    assert hit["id"] == ELEPHANTS and "éléphants" in hit["sentence"] and hit["score"] > 0
    table = run_cli("-m", "qa", "articles", "--search", "pachydermes", store=news_store)
    assert table.returncode == 0 and "1 articles about “pachydermes”" in table.stdout.replace("\n", " ")
