"""Faults a user can cause or meet: each one a one-line message, nothing already stored lost, the other
inputs of the run still processed; and ``python -m qa doctor`` to check and repair a store.

The read-only and disk-full tests mount file systems (``mount`` as root, as in CI); where mounting is
not allowed they skip and say so.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from qa import Assistant
from tests.conftest import ARTICLES, ingest, one_line_error, qa, run_cli, write_jsonl
from tests.store.conftest import damage, mount, read_only_view

# ---------------------------------------------------------------- inputs


def test_corrupt_gzip_keeps_the_other_files_and_the_records_before(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", ARTICLES[:2])
    lines = "".join(json.dumps(r) + "\n" for r in ARTICLES[2:]).encode()
    data = gzip.compress(lines * 200)
    (tmp_path / "corrupt.jsonl.gz").write_bytes(data[:len(data) // 2] + os.urandom(3000))
    code, out, err = ingest(str(good), str(tmp_path / "corrupt.jsonl.gz"), store=tmp_path / "store")
    assert code == 1 and "Traceback" not in err
    assert "corrupt.jsonl.gz" in err and "corrupt gzip data" in err and "reading stopped" in err
    stored = {a.id for a in Assistant(store_dir=tmp_path / "store").articles()}
    assert stored == {a["id"] for a in ARTICLES}  # the good file, and the records before the corrupt part


def test_gzip_bomb_is_refused_quickly_with_its_bound(tmp_path):
    with gzip.open(tmp_path / "bomb.jsonl.gz", "wb") as handle:
        for _ in range(100):
            handle.write(b'{"id": "x"}\n' * 10_000)  # 12 MB of records without text, ~25 KB compressed
    good = write_jsonl(tmp_path / "good.jsonl", ARTICLES[:1])
    code, _, err = ingest(str(tmp_path / "bomb.jsonl.gz"), str(good), store=tmp_path / "store")
    assert code == 1 and "Traceback" not in err
    assert "bomb.jsonl.gz: expands more than 100 times its size" in err
    assert err.count("record has no 'text'") == 50 and "more records failed (not listed)" in err
    assert [a.id for a in Assistant(store_dir=tmp_path / "store").articles()] == ["lyon-0"]


def test_expanded_size_and_line_length_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MAX_LINE_KB", "4")
    monkeypatch.setenv("QA_MAX_EXPANDED_MB", "0.02")
    from qa.settings import get_settings

    get_settings.cache_clear()
    try:
        long = {"id": "long", "title": "Long", "text": "mot " * 3000}
        write_jsonl(tmp_path / "lines.jsonl", [ARTICLES[0], long, ARTICLES[1]])
        (tmp_path / "one-line.txt").write_text("Titre\n" + "x" * 6000, encoding="utf-8")
        big = [dict(ARTICLES[0], id=f"big-{i}", title=f"Big {i}", text=ARTICLES[0]["text"] + f" {i}") for i in range(120)]
        write_jsonl(tmp_path / "big.jsonl", big)
        code, _, err = ingest(str(tmp_path), store=tmp_path / "store")
        stored = {a.id for a in Assistant(store_dir=tmp_path / "store").articles()}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()  # no later test may see these limits
    assert code == 1
    assert "lines.jsonl:2: line longer than the limit of 4 KB (QA_MAX_LINE_KB)" in err
    assert "one-line.txt: a line of 6 KB is longer than the limit of 4 KB" in err
    assert "big.jsonl: expands beyond the limit of 20 KB (QA_MAX_EXPANDED_MB): reading stopped after line" in err
    assert {"lyon-0", "lyon-1", "big-0"} <= stored and "long" not in stored and "big-119" not in stored


def test_names_notes_and_duplicates(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "README.md").write_text("Sample articles\n\nWhat this folder holds.\n", encoding="utf-8")
    (folder / "evil\nadded: 99 articles.txt").write_text(
        "Budget de Lyon\n\nLe conseil municipal de Lyon a voté un budget de 3 millions d'euros.\n", encoding="utf-8")
    write_jsonl(folder / "a.jsonl", [ARTICLES[0], dict(ARTICLES[0], id="copy-of-lyon-0")])
    code, out, err = ingest(str(folder), store=tmp_path / "store")
    assert code == 0, err
    assert "duplicate: " in err and "a.jsonl:2 (id copy-of-lyon-0) has the same text as stored article lyon-0" in err
    ids = [a.id for a in Assistant(store_dir=tmp_path / "store").articles()]
    assert len(ids) == 2 and not any("Sample articles" in i or "\n" in i for i in ids)
    assert any(i.endswith("evil\\nadded: 99 articles.txt") for i in ids)  # escaped: one line in any report


def test_the_embedder_hint_names_a_setting_that_works(store, monkeypatch):
    from qa.models.embeddings import embedder_setting

    assert embedder_setting("sentence-transformers/all-MiniLM-L6-v2") == "all-minilm-l6-v2"
    assert embedder_setting("use-multilingual-v3") == "use-multilingual"
    with sqlite3.connect(store / "articles.sqlite3") as db:
        db.execute("UPDATE meta SET value = 'sentence-transformers/all-MiniLM-L6-v2' WHERE key = 'embedder'")
    code, _, err = qa("articles", "--store", str(store))
    assert code == 2 and "QA_EMBEDDER=all-minilm-l6-v2" in one_line_error(err)


# ---------------------------------------------------------------- the store


@pytest.mark.parametrize("damaged", ["articles.sqlite3", "chroma.sqlite3"])
def test_a_damaged_store_is_named_then_repaired(store, damaged):
    Assistant(store_dir=store).store.close()
    damage(store / damaged, 4096 if damaged == "articles.sqlite3" else 8192)
    for command in (["articles"], ["retrieve", "budget de Lyon"]):
        code, _, err = qa(*command, "--store", str(store))
        assert code == 2 and f"The store at {store} is damaged" in one_line_error(err), err
        assert "python -m qa doctor" in err
    code, out, _ = qa("doctor", "--store", str(store))
    assert code == 1 and "FAIL" in out and "--repair" in out
    code, out, _ = qa("doctor", "--store", str(store), "--repair")
    assert code == 0 and "The store is sound." in out, out
    assert any(p.name.startswith(("articles.sqlite3.damaged-", "chroma.damaged-")) for p in store.iterdir())
    assistant = Assistant(store_dir=store)
    assert {a.id for a in assistant.articles()} == {a["id"] for a in ARTICLES}
    assert assistant.retrieve("budget des pistes cyclables du quartier 2", k=1)[0].article_id == "lyon-2"


def test_chunks_of_an_uncommitted_article_are_never_returned_and_doctor_removes_them(store):
    assistant = Assistant(store_dir=store)
    with sqlite3.connect(store / "articles.sqlite3") as db:  # as if killed after the chunks, before the row
        db.execute("DELETE FROM articles WHERE id = 'lyon-3'")
    passages = assistant.retrieve("budget des pistes cyclables du quartier 3", k=5)
    assert passages and "lyon-3" not in {p.article_id for p in passages}
    code, out, _ = qa("doctor", "--store", str(store))
    assert code == 1 and "chunks of 1 articles that are not stored: lyon-3" in out
    code, out, _ = qa("doctor", "--store", str(store), "--repair")
    assert code == 0 and "removed 1 chunks of articles that are not stored" in out


def test_an_article_whose_chunks_are_missing_is_re_embedded(store):
    assistant = Assistant(store_dir=store)
    assistant.store.delete_chunks(["lyon-1::0"])
    code, out, _ = qa("doctor", "--store", str(store), "--repair")
    assert code == 0 and "re-embedded 1 articles whose chunks were missing" in out
    assert Assistant(store_dir=store).retrieve("quartier 1", k=1)[0].article_id == "lyon-1"


def test_a_read_only_store_can_be_read_not_changed(store, tmp_path):
    from tests.scripted import Scripted

    with read_only_view(store, tmp_path) as view:
        code, out, err = qa("articles", "--store", str(view), "--json")
        assert code == 0 and {a["id"] for a in json.loads(out)} == {a["id"] for a in ARTICLES}
        code, out, _ = qa("retrieve", "--store", str(view), "--json", "budget du quartier 2")
        assert code == 0 and json.loads(out)[0]["article_id"] == "lyon-2"
        assistant = Assistant(store_dir=view)
        assistant.__dict__["llm"] = Scripted(script=lambda prompt, n: "Lyon a voté un budget de 12 millions d'euros.")
        summary = assistant.summarize("lyon-2", style="abstract")
        assert summary.summary == "Lyon a voté un budget de 12 millions d'euros." and not summary.cached
        assert assistant.cached_summary("lyon-2", style="abstract") is None  # not cached: nothing written
        code, _, err = ingest("--delete", "lyon-0", store=view)
        assert code == 2 and "is read-only: it can be searched and read, not changed" in one_line_error(err)
    assert (store / "articles.sqlite3").exists() and len(Assistant(store_dir=store).articles()) == 4


@pytest.mark.slow  # hundreds of articles embedded twice
def test_disk_full_is_named_and_a_rerun_completes(tmp_path):
    """As a user meets it: an ingestion process fills the disk; space is freed; the same command again."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    try:
        many = [dict(ARTICLES[0], id=f"m{i}", title=f"Article {i}",
                     text=" ".join(f"Le conseil {i} a voté la mesure {j} du budget." for j in range(40)))
                for i in range(400)]
        source = write_jsonl(tmp_path / "many.jsonl", many)
        first = run_cli("ingest.py", "--quiet", str(source), store=disk / "store")
        assert first.returncode == 2, first.stderr
        assert f"The disk holding the store {disk / 'store'} is full" in one_line_error(first.stderr)
        mount("-o", "remount,size=200m", str(disk))
        kept = len(Assistant(store_dir=disk / "store").articles())
        again = run_cli("ingest.py", "--quiet", str(source), store=disk / "store")
        assert again.returncode == 0, again.stderr
        assert f"{400 - kept} added" in again.stdout and f"{kept} unchanged" in again.stdout
        doctor = run_cli("-m", "qa", "doctor", store=disk / "store")
        assert doctor.returncode == 0, doctor.stdout
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


# ---------------------------------------------------------------- everything at once


def hostile_corpus(folder: Path) -> dict[str, str]:
    """A folder of hostile inputs beside good ones; returns what each file must give (``stored`` or the words
    of its failure)."""
    folder.mkdir()
    expect = {}

    def put(name: str, data: bytes | str, outcome: str) -> None:
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expect[name] = outcome

    put("good.txt", "Budget de Lyon\n\nLe conseil municipal de Lyon a voté mardi un budget de 12 millions.\n", "stored")
    put("script.html", "<html lang='fr'><head><title>Lyon vote</title><script>alert('pwned')</script></head><body>"
        "<article><h1>Lyon vote son budget</h1><p>Le conseil municipal de Lyon a voté mardi un budget de 14 millions "
        "d'euros pour les écoles, a annoncé le maire.</p><p>Les travaux commenceront en mars et dureront deux ans "
        "selon la mairie.</p><script>document.write('injected')</script></article></body></html>", "stored")
    with open(folder / "one-line.txt", "wb") as handle:  # 60 MB on one line
        handle.write(b"Titre " + b"mot " * 15_000_000)
    expect["one-line.txt"] = "a line of 60.0 MB is longer than the limit of 1.0 MB"
    put("latin1.txt", "Café de Lyon\n\nLe café du maire a été fermé mardi, a annoncé la préfecture.\n".encode("cp1252"),
        "stored")
    put("invalid-utf8.txt", b"Titre\n\nLe caf\xe9 \x81\x8d\x8f\x90 est ferm\xe9.\n", "cannot be decoded")
    put("binary.txt", b"Titre\n\x00\x01\x02\x03" * 100, "binary file")
    put("empty.md", b"", "empty file")
    put("report.pdf", b"%PDF-1.4 not an article", "unsupported file type")
    put("README.md", "Hostile corpus\n\nNot an article.\n", "skipped")
    put("bad\x1bname\n.txt", "Nom piégé\n\nLe conseil de Lyon a voté un budget de 9 millions d'euros mardi.\n", "stored")
    records = [json.dumps(ARTICLES[0]), "{not json", json.dumps({"id": "no-text"}),
               json.dumps(dict(ARTICLES[0], id="copy")), json.dumps(dict(ARTICLES[1], text="x " * 800_000))]
    put("records.jsonl", "\n".join(records) + "\n", "stored")
    lines = "".join(json.dumps(r) + "\n" for r in ARTICLES[2:]).encode()
    data = gzip.compress(lines * 100)
    put("corrupt.jsonl.gz", data[: len(data) // 2] + os.urandom(2000), "corrupt gzip data")
    with gzip.open(folder / "bomb.jsonl.gz", "wb") as handle:
        for _ in range(100):
            handle.write(b'{"id": "x"}\n' * 10_000)
    expect["bomb.jsonl.gz"] = "expands more than 100 times its size"
    (folder / "loop").mkdir()
    (folder / "loop" / "again").symlink_to(folder, target_is_directory=True)
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    return expect


def test_a_hostile_corpus_in_one_run(tmp_path):
    folder = tmp_path / "hostile"
    expect = hostile_corpus(folder)
    result = run_cli("ingest.py", "--quiet", str(folder), store=tmp_path / "store", timeout=600)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    for name, outcome in expect.items():
        if outcome in ("stored", "skipped"):
            continue
        mine = [line for line in failures if f"{folder}/{name}" in line]
        assert any(outcome in line for line in mine), (name, mine)
    assert any("records.jsonl:2: bad JSON" in f for f in failures)
    assert any("records.jsonl:3: record has no 'text'" in f for f in failures)
    assert any("records.jsonl:5: line longer than the limit" in f for f in failures)
    assert "records.jsonl:4 (id copy) has the same text as stored article lyon-0" in result.stderr
    assert all("\x1b" not in line and "\n" not in line for line in failures)
    assistant = Assistant(store_dir=tmp_path / "store")
    stored = {a.id: a for a in assistant.articles()}
    assert "lyon-0" in stored and "lyon-2" in stored  # lyon-2: before the corrupt part of the gzip
    paths = {Path(a.path or "").name for a in stored.values()}
    assert {"good.txt", "script.html", "latin1.txt"} <= paths and "README.md" not in paths
    assert any(i.endswith("bad\\x1bname\\n.txt") for i in stored)
    html = next(a for a in stored.values() if (a.path or "").endswith("script.html"))
    text = assistant.article(html.id).text
    assert "14 millions" in text and "alert" not in text and "injected" not in text


def test_the_app_prints_its_address_store_and_log(store):
    import socket
    import sys
    import time

    from tests.conftest import ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = subprocess.Popen([sys.executable, "app.py", "--store", str(store), "--port", str(port)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(line.startswith("Press Ctrl+C") for line in lines):
            line = app.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    finally:
        app.terminate()
        app.wait(timeout=30)
    assert f"newsdesk QA: 4 articles, 4 chunks in {store}" in lines, lines
    assert f"Running on http://127.0.0.1:{port}/" in lines, lines
    assert any(line.startswith("Log: ") and line.endswith("app.log") for line in lines), lines
