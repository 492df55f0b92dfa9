"""Checking a draft: the deterministic comparison of a claim with an article sentence (qa/news/claims.py), the
verdicts and their wiring (qa/news/factcheck.py) with a scripted model on a real store, the command line, and an
end-to-end check with the bundled model (slow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from qa import Assistant
from qa.news.claims import compare, facts_of, is_claim
from qa.news.factcheck import draft_spans
from tests.conftest import ROOT, run_cli
from tests.scripted import Scripted

VILLEBOURG = """Conseil municipal de Villebourg : le budget 2021 adopté

Le conseil municipal de Villebourg a adopté mardi un budget de 14,2 millions d'euros pour 2021, a annoncé la maire Claire Dumont.
La maire a précisé que 3 millions d'euros seraient consacrés à la rénovation des écoles.
Le chantier des écoles commencera en septembre, selon l'adjoint aux finances Marc Petit.
"""

HARBOUR = """Harbour bridge reopens after repairs

The harbour bridge of Portwell reopened on Monday after eight months of repairs costing £12m, the council said.
Engineer Sarah Lane, who led the works, said the steel deck had been replaced.
"""

SENTENCE = VILLEBOURG.splitlines()[2]


# ---------------------------------------------------------------- the comparison (no model, no store)

def test_a_changed_figure_is_shown_beside_the_articles():
    c = compare("Villebourg a adopté un budget de 12 millions d'euros pour 2021.", SENTENCE)
    assert [(d.kind, d.draft, d.article) for d in c.disagreements] == [
        ("figure", "12 millions d'euros", "14,2 millions d'euros")]
    assert {f.text for f in c.matched} == {"Villebourg", "2021"}


def test_the_same_figure_written_another_way_agrees():
    claim = "The Villebourg council adopted a budget of 14.2 million euros for 2021, said mayor Claire Dumont."
    c = compare(claim, SENTENCE, same_language=False)
    assert c.holds_all, c


def test_a_changed_year_month_and_name_disagree():
    sentence = "Le chantier des écoles commencera en septembre 2021, selon l'adjoint aux finances Marc Petit."
    c = compare("Le chantier des écoles commencera en octobre 2022, selon l'adjoint Paul Martin.", sentence,
                article=VILLEBOURG)
    assert sorted((d.kind, d.draft, d.article) for d in c.disagreements) == [
        ("month", "octobre", "septembre"), ("name", "Paul Martin", "Marc Petit"), ("year", "2022", "2021")]


def test_a_name_the_article_writes_elsewhere_does_not_disagree():
    c = compare("Claire Dumont a précisé que 3 millions d'euros iraient aux écoles.", VILLEBOURG.splitlines()[3],
                setting=SENTENCE, article=VILLEBOURG)
    assert c.holds_all, c


def test_a_fact_the_sentence_lacks_is_missing_not_contradicted():
    c = compare("Villebourg a adopté un budget de 14,2 millions d'euros et recruté 40 agents.", SENTENCE)
    assert not c.disagreements and [f.text for f in c.missing] == ["40"]


@pytest.mark.parametrize("sentence, claim", [
    ("C'est une excellente nouvelle pour la ville.", False),
    ("This is a worrying development for everyone.", False),
    ("What a sight it is for everyone!", False),
    ("Le budget a-t-il été adopté en 2021 ?", False),
    ("Seven people died in the fire on Monday.", True),
    ("Le budget de Villebourg a été adopté mardi.", True),
    ("Le chantier commencera en septembre.", True),
])
def test_only_sentences_holding_a_fact_are_claims(sentence, claim):
    assert is_claim(sentence) is claim


def test_facts_are_figures_years_months_and_names():
    kinds = {(f.kind, f.text) for f in facts_of("Le 3 mars 2020, Anne Martin a annoncé 2 763 emplois et 12 % de hausse.")}
    assert {("figure", "3"), ("month", "mars"), ("year", "2020"), ("name", "Anne Martin"), ("figure", "2 763"),
            ("figure", "12 %")} <= kinds


def test_an_empty_or_too_long_draft_is_a_clear_error():
    with pytest.raises(ValueError, match="Empty draft"):
        draft_spans("  \n ", 10)
    with pytest.raises(ValueError, match="3 sentences; at most 2 .*QA_MAX_CHECK_SENTENCES"):
        draft_spans("Un. Deux. Trois.", 2)


# ---------------------------------------------------------------- the wiring: a real store, a scripted model

@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("factcheck")
    (folder / "villebourg.txt").write_text(VILLEBOURG, encoding="utf-8")
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    assistant = Assistant(store_dir=folder / "store")
    assert assistant.ingest([folder / "villebourg.txt", folder / "harbour.txt"]).added == 2
    return folder / "store"


def scripted_assistant(store_dir, same_fact: str = "P(yes)=0.9") -> tuple[Assistant, Scripted]:
    def script(last: str, _n: int) -> str:
        if last.startswith("Translate"):
            return "Le pont du port de Portwell a rouvert lundi."
        if "state the same fact as the claim" in last:
            return same_fact
        raise AssertionError(f"unexpected prompt: {last[:80]}")

    assistant = Assistant(store_dir=store_dir, create=False)
    model = Scripted(script=script)
    assistant.__dict__["llm"] = model
    return assistant, model


def test_each_sentence_gets_its_verdict_with_evidence(store_dir):
    assistant, model = scripted_assistant(store_dir)
    draft = ("Le conseil municipal de Villebourg a voté un budget de 12 millions d'euros pour 2021. "
             "C'est une bonne nouvelle pour les habitants. "
             "La maire Claire Dumont a indiqué que 3 millions d'euros iraient à la rénovation des écoles. "
             "Villebourg accueillera les Jeux olympiques de 2032 avec 400 000 visiteurs.")
    result = assistant.check(draft)
    verdicts = [s.verdict for s in result.sentences]
    assert verdicts == ["contradicted", "no_claim", "supported", "not_found"], verdicts
    contradicted, _, supported, _ = result.sentences
    article = assistant.article(contradicted.evidence[0].article_id)
    e = contradicted.evidence[0]
    assert article.text[e.start:e.end] == e.quote and "14,2 millions" in e.quote
    assert [(d.draft, d.article) for d in e.disagreements] == [("12 millions d'euros", "14,2 millions d'euros")]
    s = supported.evidence[0]
    assert article.text[s.start:s.end] == s.quote and "3 millions" in s.quote and s.probability == pytest.approx(0.9)
    assert draft[result.sentences[1].start:result.sentences[1].end] == "C'est une bonne nouvelle pour les habitants."
    assert sum("state the same fact" in c for c in model.calls) >= 1


def test_the_model_decides_whether_a_sentence_states_the_same_fact(store_dir):
    assistant, _ = scripted_assistant(store_dir, same_fact="P(yes)=0.1")
    result = assistant.check("La maire Claire Dumont a indiqué que 3 millions d'euros iraient à la rénovation des écoles.")
    assert [s.verdict for s in result.sentences] == ["not_found"]


def test_disagreeing_articles_are_all_cited_newest_first(tmp_path):
    folder = tmp_path
    records = [{"id": f"v{n}", "title": "Budget de Villebourg", "date": date, "lang": "fr",
                "text": f"Le conseil municipal de Villebourg a adopté un budget de {amount} millions d'euros pour 2021. "
                        f"{filler}"}
               for n, (date, amount, filler) in enumerate([
                   ("2021-01-10", "14", "Le vote a eu lieu dans la soirée."),
                   ("2021-03-02", "15", "Un amendement a relevé le montant initial."),
                   ("2021-02-05", "16", "Les élus de l'opposition ont voté contre.")])]
    (folder / "v.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert Assistant(store_dir=folder / "store").ingest([folder / "v.jsonl"]).added == 3
    assistant, _ = scripted_assistant(folder / "store")
    [checked] = assistant.check("Le conseil municipal de Villebourg a adopté un budget de 12 millions d'euros "
                                "pour 2021.").sentences
    assert checked.verdict == "contradicted"
    assert [(e.date, e.disagreements[0].article) for e in checked.evidence] == [
        ("2021-03-02", "15 millions d'euros"), ("2021-02-05", "16 millions d'euros"), ("2021-01-10", "14 millions d'euros")]


def test_the_command_line_says_what_is_wrong_with_a_draft(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    result = run_cli("-m", "qa", "check", str(empty), store=tmp_path / "none")
    assert result.returncode == 2 and "Empty draft" in result.stderr
    result = run_cli("-m", "qa", "check", str(tmp_path / "missing.txt"), store=tmp_path / "none")
    assert result.returncode == 2 and "No such file" in result.stderr
    many = tmp_path / "many.txt"
    many.write_text("Paris a voté. " * 5, encoding="utf-8")
    result = run_cli("-m", "qa", "check", str(many), store=tmp_path / "none", env={"QA_MAX_CHECK_SENTENCES": "3"})
    assert result.returncode == 2 and "5 sentences; at most 3" in result.stderr


# ---------------------------------------------------------------- end to end, the bundled model

@pytest.mark.slow
def test_the_command_line_checks_a_draft_with_the_bundled_model(store_dir):
    draft = ("The harbour bridge of Portwell reopened on Monday after eight months of repairs costing £15m. "
             "Engineer Sarah Lane led the works on the bridge. It was a fine day.")
    done = subprocess.run([sys.executable, "-m", "qa", "check", "--json", "--store", str(store_dir), "-"], cwd=ROOT,
                          input=draft, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    sentences = json.loads(done.stdout)
    assert [s["verdict"] for s in sentences] == ["contradicted", "supported", "no_claim"], sentences
    assert set(sentences[0]) == {"sentence", "verdict", "evidence"}
    [values] = sentences[0]["evidence"][0]["disagreements"]
    assert (values["draft"], values["article"]) == ("£15m", "£12m")


def test_the_app_streams_each_sentence_as_it_is_decided(store_dir):
    from qa.ui.check_tab import render_check, stream_check
    from qa.ui.controller import NewsdeskUI

    assistant, _ = scripted_assistant(store_dir)
    items = list(stream_check(NewsdeskUI(assistant), "La maire Claire Dumont a indiqué que 3 millions d'euros "
                                                     "iraient aux écoles. Quelle belle journée."))
    assert items[0] == 2 and [i["verdict"] for i in items[1:]] == ["supported", "no_claim"]
    html = render_check(items[1:], total=2)
    assert html.count('class="nd-check-row"') == 2 and "3 millions" in html
    with pytest.raises(ValueError, match="Empty draft"):
        next(stream_check(NewsdeskUI(assistant), " "))
