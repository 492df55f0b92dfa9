"""Wire copies grouped into stories: the comparison (qa/ingest/stories.py), then ingestion, retrieval, the digest,
the library and ``python -m qa articles --json`` over a real store (bundled embedder; the only model call,
the digest's, goes to the scripted model)."""

from __future__ import annotations

import json

import pytest

from qa.text.sentences import sentences
from qa.ingest.stories import BANDS, THRESHOLD, Fingerprint, StoryMatcher, jaccard, same_story, shingles
from tests.conftest import fixture_records, run_cli, write_jsonl

# OrangeSum articles of tests/fixtures (CC BY-SA 4.0): the bees and the lavender, cycling in Tunis, lightning
BEES, BIKES, LIGHTNING = (next(r for r in fixture_records("orangesum-120.jsonl.gz") if r["id"] == i)
                          for i in ("orangesum-301", "orangesum-288", "orangesum-303"))


def rewritten(record: dict, *, title: str, byline: str = "", cut: int = 0, add: str = "") -> dict:
    """Another version of ``record``: a new headline and id, a byline on top, ``cut`` sentences dropped from
    the middle, ``add`` appended: what a second outlet does to a wire dispatch."""
    said = sentences(record["text"])
    middle = len(said) // 2
    body = " ".join(said[:middle] + said[middle + cut:])
    text = "\n\n".join(x for x in (byline, body, add) if x)
    return {**record, "id": f"{record['id']}-v{len(title)}", "title": title, "text": text, "source": "Le Fil"}


# ---------------------------------------------------------------- the comparison


def test_shingles_fold_accents_case_and_apostrophes():
    assert shingles("L'été À Paris fut très chaud") == shingles("l ete a PARIS fut tres chaud")
    assert shingles("Trois mots seulement") == frozenset(["trois mots seulement"])  # shorter than a shingle
    assert shingles("  ") == frozenset() and Fingerprint("").bands == ()
    assert jaccard(frozenset(), shingles("un texte")) == 0.0


def test_band_keys_are_short_and_stable():
    """Keys stored by one run must match the next run's: the same text gives these exact keys (a change of
    datasketch's defaults, of the seed or of the shingles would silently stop matching stored articles)."""
    fingerprint = Fingerprint("Le maire de Lyon a inauguré mardi un nouveau pont sur le Rhône, le premier "
                              "depuis trente ans.")
    assert len(fingerprint.bands) == BANDS == 25
    assert fingerprint.bands[:2] == ("0:04893c24", "1:911bba9f")
    assert all(len(key) <= 24 and key.split(":")[0] == str(i) for i, key in enumerate(fingerprint.bands))


def test_versions_of_a_dispatch_are_one_story_other_articles_are_not():
    text = BEES["text"]
    assert same_story(text, text)
    byline = rewritten(BEES, title="Les abeilles et la lavande", byline="Par Claire Dumont (AFP)")["text"]
    assert same_story(text, byline) and Fingerprint(text).similarity(Fingerprint(byline)) > 0.9
    shorter = rewritten(BEES, title="Lavande", cut=4, add=sentences(BIKES["text"])[0])["text"]
    assert same_story(text, shorter)
    assert not same_story(text, BIKES["text"]) and not same_story(text, LIGHTNING["text"])
    # the threshold is where it says: a copy that keeps less than that of the text is another story
    said = sentences(text)
    half = " ".join(said[:len(said) // 3])
    assert Fingerprint(text).similarity(Fingerprint(half)) < THRESHOLD and not same_story(text, half)


def test_the_estimate_follows_the_exact_similarity():
    a, b = Fingerprint(BEES["text"]), Fingerprint(rewritten(BEES, title="x", cut=3)["text"])
    assert abs(a.estimated_similarity(b) - a.similarity(b)) < 0.25
    assert a.estimated_similarity(Fingerprint(BIKES["text"])) < 0.2
    assert set(a.bands) & set(b.bands)  # a copy is a candidate: it shares a band


def test_matcher_groups_stored_and_pending_versions():
    stored = {"bees": BEES["text"], "bikes": BIKES["text"]}
    stories = {"bees": "bees", "bikes": "bikes"}
    index: dict[str, set[str]] = {}
    for article_id, text in stored.items():
        for key in Fingerprint(text).bands:
            index.setdefault(key, set()).add(article_id)
    asked = []

    def candidates(bands):
        asked.append(bands)
        return {a: stories[a] for key in bands for a in index.get(key, ())}

    matcher = StoryMatcher(candidates, stored.get)
    copy = rewritten(BEES, title="Lavande", byline="Par Paul Girard", cut=2)
    story, fingerprint = matcher.match(copy["id"], copy["text"])
    assert story == "bees" and asked[-1] == fingerprint.bands
    assert matcher.match("lightning", LIGHTNING["text"])[0] == "lightning"  # a story of its own
    # pending in the same batch: a version of the lightning article joins it before either is stored
    again = rewritten(LIGHTNING, title="Un éclair géant", byline="Par Anna Smith")
    assert matcher.match(again["id"], again["text"])[0] == "lightning"
    # the same id twice in a batch: the later text counts, the earlier is no one's candidate any more
    fresh = StoryMatcher(lambda bands: {}, stored.get)
    assert fresh.match("x", LIGHTNING["text"])[0] == "x"
    assert fresh.match("x", BEES["text"])[0] == "x"
    assert fresh.match("y", LIGHTNING["text"])[0] == "y"
    assert fresh.match("z", BEES["text"])[0] == "x"
    fresh.clear()  # written: from now on only the store finds them
    assert fresh.match("w", BEES["text"])[0] == "w"


def test_matcher_takes_the_most_similar_story_and_skips_vanished_candidates():
    text = BEES["text"]
    near = rewritten(BEES, title="a", cut=1)["text"]
    far = rewritten(BEES, title="b", cut=4, add=BIKES["text"][:200])["text"]
    texts = {"near": near, "far": far, "gone": text}
    matcher = StoryMatcher(lambda bands: {"far": "story-far", "near": "story-near", "gone": "story-gone"},
                           lambda i: None if i == "gone" else texts[i])
    assert Fingerprint(text).similarity(Fingerprint(far)) >= THRESHOLD  # both are versions...
    assert matcher.match("new", text)[0] == "story-near"  # ...the nearest wins; the vanished one is skipped
    matcher.clear()
    lonely = StoryMatcher(lambda bands: {"gone": "story-gone"}, lambda i: None)
    assert lonely.match("new", text)[0] == "new"


# ---------------------------------------------------------------- over a real store

COPY = rewritten(BEES, title="Les abeilles se ruent sur la lavande", byline="Par Claire Dumont (AFP)", cut=2)
LATER = {**rewritten(BEES, title="Abeilles: la lavande en fleur", cut=5,
                     add="Les apiculteurs de la Drôme attendent une bonne récolte cette année."),
         "source": "Dépêches du Sud"}
QUESTION = "Pourquoi les apiculteurs installent-ils leurs ruches près des champs de lavande ?"


@pytest.fixture(scope="module", params=["embedded", "server"])
def wire(request, tmp_path_factory):
    """A store made in two runs: the bees article and a copy of it in one batch with the bikes article, then
    a third version of the bees and the lightning article. Embedded, and on a real Chroma server."""
    from qa import Assistant
    from tests.conftest import server_url

    folder = tmp_path_factory.mktemp("stories")
    first = write_jsonl(folder / "first.jsonl", [BEES, COPY, BIKES])
    later = write_jsonl(folder / "later.jsonl", [LATER, LIGHTNING])
    url = server_url(request.getfixturevalue("chroma_server")) if request.param == "server" else None
    assistant = Assistant(store_dir=folder / "store", chroma_url=url, translate_queries=False)
    reports = [assistant.ingest([first]), assistant.ingest([later])]
    return assistant, reports, folder


def test_ingestion_groups_versions_in_a_batch_and_across_runs(wire):
    assistant, (first, later), folder = wire
    assert first.ok and (first.added, first.joined_stories) == (3, 1) and "1 joined a story" in first.summary()
    assert later.ok and (later.added, later.joined_stories) == (2, 1)
    story = {a.id: a.story for a in assistant.articles()}
    assert story == {BEES["id"]: BEES["id"], COPY["id"]: BEES["id"], LATER["id"]: BEES["id"],
                     BIKES["id"]: BIKES["id"], LIGHTNING["id"]: LIGHTNING["id"]}
    chunks = assistant.store.get_chunks(where={"article_id": LATER["id"]})
    assert chunks and {c.story for c in chunks} == {BEES["id"]}
    assert [v.id for v in assistant.versions(LATER["id"])] == [BEES["id"], COPY["id"], LATER["id"]]
    assert assistant.versions(BIKES["id"])[0].id == BIKES["id"] and assistant.versions("no-such-id") == []
    again = assistant.ingest([folder / "first.jsonl"])  # unchanged: nothing joins again
    assert (again.unchanged, again.joined_stories) == (3, 0)


def test_retrieval_shows_one_version_per_story_and_lists_the_others(wire):
    from qa.ui import NewsdeskUI

    assistant = wire[0]
    bees = {BEES["id"], COPY["id"], LATER["id"]}
    chunks = assistant.search(QUESTION)
    assert len({c.article_id for c in chunks if c.article_id in bees}) == 1
    passages = assistant.retrieve(QUESTION)
    shown = [p for p in passages if p.article_id in bees]
    assert shown and len({p.article_id for p in shown}) == 1
    for p in shown:
        others = bees - {p.article_id}
        assert {v.article_id for v in p.also} == others
        assert {v.source for v in p.also} == {assistant.article(i).source for i in others}
    assert all(p.also == [] for p in passages if p.article_id not in bees)
    found = NewsdeskUI(assistant).retrieve(QUESTION)  # the /retrieve endpoint says it too
    assert all({v["article_id"] for v in p["also"]} == bees - {p["article_id"]} for p in found
               if p["article_id"] in bees)
    assert any(p["article_id"] in bees for p in found)


def test_an_answer_cites_one_version_and_names_the_others(wire):
    from qa.ui.render import esc, render_sources
    from tests.ui.conftest import scripted_assistant

    def script(last: str, _n: int) -> str:
        if "Does this sentence answer the question?" in last:
            return "yes"
        line = next((m for m in last.splitlines() if m.startswith("(") and "lavande" in m), None)
        if not last.startswith("<passages>") or line is None:
            return '{"sentences": [], "answer": "NOT_FOUND"}'
        return json.dumps({"sentences": [int(line[1:line.index(")")])], "answer": "la lavande"})

    where = wire[0].settings
    assistant, _ = scripted_assistant(where.store_dir, script=script, chroma_url=where.chroma_url)
    answer = assistant.ask(QUESTION)
    assert not answer.refused, answer
    source = answer.sources[0]
    others = {BEES["id"], COPY["id"], LATER["id"]} - {source.article_id}
    assert {v.article_id for v in source.also} == others
    html = render_sources(answer.model_dump())
    assert "Also published by" in html and all(esc(v.source) in html and esc(v.title) in html for v in source.also)


def test_a_digest_counts_a_story_once(wire):
    from qa.summaries.digest import longest_version_per_story
    from tests.ui.conftest import scripted_assistant

    store = wire[0].store
    selected = [store.get_article(i) for i in (COPY["id"], BIKES["id"], BEES["id"], LATER["id"])]
    chosen = longest_version_per_story(store, selected)
    longest = max((BEES, COPY, LATER), key=lambda r: len(store.get_article(r["id"]).text))
    assert [a.id for a in chosen] == [longest["id"], BIKES["id"]]  # in the place the story was first met

    where = wire[0].settings
    assistant, _ = scripted_assistant(where.store_dir, script=lambda last, n: "Rien à dire.",
                                      chroma_url=where.chroma_url)
    longer = max((BEES, COPY), key=lambda r: len(store.get_article(r["id"]).text))
    digest = assistant.digest([COPY["id"], BEES["id"], BIKES["id"]])
    assert [s.article_id for s in digest.sources] == [longer["id"], BIKES["id"]]


def test_the_library_shows_a_story_once_with_its_versions(wire):
    from qa.ui import NewsdeskApp, NewsdeskUI
    from qa.ui.render import title_of_cell

    ui = NewsdeskUI(wire[0])
    rows, ids = ui.table("")
    assert sorted(ids) == sorted([BEES["id"], BIKES["id"], LIGHTNING["id"]])  # one row per story...
    bees = rows[ids.index(BEES["id"])]
    assert title_of_cell(bees[0]) == BEES["title"] and bees[-1] == "3 versions"  # ...saying how many versions it has
    assert rows[ids.index(BIKES["id"])][-1] == ""
    rows, ids = ui.table("ruent")  # a search finds the version whose title matches
    assert ids == [COPY["id"]] and rows[0][-1] == "3 versions"
    assert [i for _, i in ui.versions(COPY["id"])] == [BEES["id"], COPY["id"], LATER["id"]]
    assert "Le Fil" in ui.versions(COPY["id"])[1][0] and ui.versions(BIKES["id"]) == []

    app = NewsdeskApp(ui)
    p = app.page
    wired = [f for f in app.demo.fns.values() if f.fn == app.show_article]
    assert wired and all(p.versions._id in {b._id for b in f.outputs} for f in wired)  # choosing a version opens it
    opened = app.show_article(LATER["id"], "short", "")
    assert opened[p.selected_id] == LATER["id"] and "Abeilles: la lavande en fleur" in opened[p.article_html]
    assert opened[p.versions]["visible"] is True and opened[p.versions]["value"] == LATER["id"]
    assert [i for _, i in opened[p.versions]["choices"]] == [BEES["id"], COPY["id"], LATER["id"]]
    alone = app.show_article(BIKES["id"], "short", "")
    assert alone[p.versions]["visible"] is False


def test_articles_json_gives_each_article_its_story(wire):
    settings = wire[0].settings
    result = run_cli("-m", "qa", "articles", "--json", store=settings.store_dir, timeout=300,
                     env={"QA_CHROMA_URL": settings.chroma_url or ""})
    assert result.returncode == 0, result.stderr
    story = {a["id"]: a["story"] for a in json.loads(result.stdout)}
    assert story[LATER["id"]] == story[COPY["id"]] == story[BEES["id"]] == BEES["id"]
    assert story[BIKES["id"]] == BIKES["id"]
