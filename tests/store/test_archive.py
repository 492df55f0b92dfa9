"""The archive: a store on a real Chroma server shared by several app hosts, the incremental keyword index
(FTS5), and moving a store with export/import."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest
from qa import Assistant
from qa.retrieval.search import Filters
from qa.store.errors import StoreError
from qa.store.store import Store
from tests.conftest import SEED, fixture_records, free_port, run_cli, server_url, write_jsonl


def test_an_article_ingested_by_one_host_is_found_and_cited_by_another(chroma_server, tmp_path):
    url = server_url(chroma_server)
    one = Assistant(store_dir=tmp_path / "host-a", chroma_url=url)
    assert one.ingest([SEED]).added == 1
    other = Assistant(store_dir=tmp_path / "host-b", chroma_url=url)  # its own folder: only its keyword copy
    assert [a.id for a in other.articles()] == [a.id for a in one.articles()]
    passages = other.retrieve("Qui a interrogé Stoltenberg ?", translations=[])
    assert passages and passages[0].article_id == one.articles()[0].id
    assert other.store.keyword_search("Stoltenberg", 1)[0].article_id == passages[0].article_id
    # summaries cached by one host are read by the other
    article = one.articles()[0]
    one.store.put_summary(article.id, article.content_hash, "short", "fr", "m", "Un résumé.")
    assert other.store.get_summary(article.content_hash, "short", "fr", "m") == "Un résumé."
    # the other host's keyword copy follows a delete and an addition made by the first
    records = fixture_records("orangesum-120.jsonl.gz", limit=2)
    one.ingest([write_jsonl(tmp_path / "two.jsonl", records)])
    assert one.delete(article.id)
    assert other.store.keyword_search("Stoltenberg", 5) == []
    assert other.store.keyword_search(records[1]["title"], 1)[0].article_id == records[1]["id"]
    assert not (tmp_path / "host-b" / "articles.sqlite3").exists()  # nothing of the store lives on the host


def test_the_command_line_works_on_a_server(chroma_server, tmp_path):
    url = server_url(chroma_server)
    store = tmp_path / "local"
    result = run_cli("ingest.py", "--quiet", "--chroma-url", url, str(SEED), store=store)
    assert result.returncode == 0, result.stderr
    assert f"store: {url}" in result.stdout
    listed = run_cli("-m", "qa", "articles", "--json", store=tmp_path / "elsewhere", env={"QA_CHROMA_URL": url})
    assert [a["title"][:20] for a in json.loads(listed.stdout)] == ["Une telle guerre est"]
    doctor = run_cli("-m", "qa", "doctor", "--chroma-url", url, store=tmp_path / "elsewhere")
    assert doctor.returncode == 0 and "The store is sound." in doctor.stdout, doctor.stdout + doctor.stderr


def test_a_server_that_does_not_answer_is_named_and_nothing_is_lost(chroma_server, tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"Cannot reach the Chroma server at {down}"):
        Assistant(store_dir=tmp_path / "s", chroma_url=down).store  # noqa: B018
    result = run_cli("ingest.py", "--chroma-url", down, str(SEED), store=tmp_path / "s")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Cannot reach the Chroma server" in result.stderr
    with pytest.raises(StoreError, match="not a server address"):
        Store(tmp_path / "s", "x", server="ftp://example")
    read = run_cli("-m", "qa", "articles", store=tmp_path / "s", env={"QA_CHROMA_URL": server_url(chroma_server)})
    assert read.returncode == 2 and "No store on the Chroma server" in read.stderr


def test_keyword_index_is_updated_in_place_and_survives_a_restart(assistant, tmp_path):
    records = fixture_records("orangesum-120.jsonl.gz", limit=30)
    assistant.ingest([write_jsonl(tmp_path / "a.jsonl", records)])
    store = assistant.store
    db = sqlite3.connect(store.directory / "articles.sqlite3")
    rows_before = db.execute("SELECT COUNT(*) FROM keyword_chunks").fetchone()[0]
    assert rows_before == store.count_chunks()
    # one more article: only its rows are written (the others keep their row ids: nothing was rebuilt)
    ids_before = db.execute("SELECT max(rowid) FROM keyword_chunks").fetchone()[0]
    new = dict(fixture_records("orangesum-120.jsonl.gz", limit=1, skip=40)[0])
    assistant.ingest([write_jsonl(tmp_path / "b.jsonl", [new])])
    added = db.execute("SELECT chunk_id FROM keyword_chunks WHERE rowid > ?", (ids_before,)).fetchall()
    assert {c[0].split("::")[0] for c in added} == {new["id"]}
    assert store.keyword_search(new["title"], 1)[0].article_id == new["id"]
    # filters are applied inside the index: a language, a date range, an article
    assert store.keyword_search(new["title"], 5, Filters(languages=["en"])) == []
    both = f"{new['title']} {records[3]['title']}"
    only = store.keyword_search(both, 5, Filters(article_ids=[records[3]["id"]]))
    assert only and {c.article_id for c in only} == {records[3]["id"]}
    assert store.keyword_search(both, 5, Filters(date_from="2100-01-01")) == []
    day = records[3]["date"][:10]
    assert {c.article_id for c in store.keyword_search(both, 50, Filters(date_from=day, date_to=day))} >= {records[3]["id"]}
    # a new process reads the index as it is on disk
    fresh = Store(store.directory, store.embedder)
    assert fresh.keyword_status() == (store.count_chunks(), store.count_chunks())
    assert fresh.keyword_search(new["title"], 1)[0].article_id == new["id"]


def test_a_store_made_before_the_index_gets_it_at_the_first_search(assistant, tmp_path):
    assistant.ingest([SEED])
    directory = assistant.store.directory
    assistant.store.close()
    db = sqlite3.connect(directory / "articles.sqlite3")  # as a store of version 0.1 was: no index, no story
    db.executescript("DROP TABLE keyword_words; DROP TABLE keyword_chunks; DELETE FROM meta WHERE key = 'keywords';"
                     "ALTER TABLE articles DROP COLUMN story; DROP TABLE story_bands;")
    db.commit()
    db.close()
    store = Store(directory, assistant.store.embedder)
    assert store.keyword_status()[0] is None
    assert store.keyword_search("Stoltenberg", 1)[0].title.startswith("Une telle guerre")
    assert store.keyword_status()[0] == store.count_chunks() > 0
    assert store.list_articles()[0].story == store.list_articles()[0].id


def test_export_then_import_into_a_server_embeds_nothing(chroma_server, samples_store, tmp_path):
    store = samples_store
    out = tmp_path / "store.jsonl.gz"
    exported = run_cli("-m", "qa", "export", "--quiet", str(out), store=store)
    assert exported.returncode == 0, exported.stderr
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        first = json.loads(handle.readline())
    assert header["format"] == "newsdesk-qa-export-1" and header["articles"] > 1
    assert first["chunks"] and first["story"] == first["article"]["id"]

    url = server_url(chroma_server)
    target = Assistant(store_dir=tmp_path / "host", chroma_url=url)
    target.__dict__["embedder"] = _NoEmbedding(target.embedder)  # an import embeds nothing
    from qa.ingest.transfer import import_store

    counts = import_store(target.store, out)
    assert counts == {"imported": header["articles"], "unchanged": 0}
    source = Assistant(store_dir=store)
    assert [a.model_dump() for a in target.articles()] == [a.model_dump() for a in source.articles()]
    assert target.store.count_chunks() == source.store.count_chunks()
    question = "Qui a interrogé Stoltenberg ?"
    assert [(c.id, round(c.score, 4)) for c in source.search(question)] == \
        [(c.id, round(c.score, 4)) for c in Assistant(store_dir=tmp_path / "host", chroma_url=url).search(question)]
    again = run_cli("-m", "qa", "import", "--quiet", str(out), store=tmp_path / "host", env={"QA_CHROMA_URL": url})
    assert again.returncode == 0 and f"imported 0 articles ({header['articles']} already there)" in again.stdout


def test_an_export_of_another_embedder_or_not_an_export_is_refused(assistant, tmp_path):
    assistant.ingest([SEED])
    out = tmp_path / "x.jsonl.gz"
    from qa.ingest.transfer import export_store, import_store

    export_store(assistant.store, out)
    other = Store(tmp_path / "other", "sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(StoreError, match="QA_EMBEDDER=use-multilingual"):
        import_store(other, out)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(StoreError, match="is not an export"):
        import_store(assistant.store, bad)
    with pytest.raises(StoreError, match="must end with .jsonl.gz"):
        export_store(assistant.store, tmp_path / "x.zip")


class _NoEmbedding:
    """Embeds a question (a search needs it) but fails the test if asked to embed documents."""

    def __init__(self, real):
        self.real, self.name = real, real.name

    def embed_query(self, text):
        return self.real.embed_query(text)

    def embed_documents(self, texts):
        raise AssertionError("an import must not embed")
