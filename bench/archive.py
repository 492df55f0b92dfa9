"""The whole shared corpus on a Chroma server: ingestion, two ingest processes, search at that size, app start.

    python bench/archive.py ingest   --server-path DIR      # all OrangeSum (35,987) and BBC (2,225) articles
    python bench/archive.py parallel --server-path DIR2 [--articles 2000]   # one ingest process against two
    python bench/archive.py search   --server-path DIR      # latencies, keyword copies, one new article
    python bench/archive.py start    --server-path DIR      # the app's start time at that size

Each step starts its own ``chroma run`` on 127.0.0.1 over DIR (kept between steps) and stops it at the end.
The ingestion is the product's own command (``ingest.py --chroma-url``, with its progress bar) and can be
run again after an interruption: what is stored is skipped. Figures go to bench/results/archive-STEP.json.
The evidence of the hard split at that size is measured with bench/evidence_rank.py (see docs/benchmarks.md):

    QA_CHROMA_URL=http://127.0.0.1:PORT/archive python bench/evidence_rank.py --store TMP data/eval/hard.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import CORPUS, ROOT, free_port, write_results

DATABASE = "archive"


@contextlib.contextmanager
def chroma_server(path: Path):
    """A ``chroma run`` over ``path``: yields (its URL, its process)."""
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    log = (path.parent / f"{path.name}.server.log").open("a")
    process = subprocess.Popen([str(Path(sys.executable).with_name("chroma")), "run", "--host", "127.0.0.1", "--port",
                                str(port), "--path", str(path)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
            break
        time.sleep(0.2)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def disk_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def ingest(url: str, files: list[Path], store: Path, log: Path) -> tuple[float, dict, float]:
    """``ingest.py --chroma-url`` as a user runs it: (seconds, its JSON report, its peak memory in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    with log.open("a") as err:
        done = subprocess.run([sys.executable, "ingest.py", "--chroma-url", url, "--store", str(store), "--json",
                               *map(str, files)], cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
    seconds = time.perf_counter() - t0
    report = json.loads(done.stdout[done.stdout.index("{"):]) if "{" in done.stdout else {}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, report, round(max(peak, before) / 1024, 1)


def step_ingest(args) -> None:
    files = [CORPUS / "orangesum" / "articles.jsonl.gz", CORPUS / "bbc" / "articles.jsonl.gz"]
    with chroma_server(args.server_path) as (url, server), tempfile.TemporaryDirectory() as tmp:
        seconds, report, peak = ingest(f"{url}/{DATABASE}", files, Path(tmp), args.server_path.parent / "ingest.log")
        figures = {
            "articles_added": report.get("added"), "unchanged": report.get("unchanged"),
            "duplicates": len(report.get("duplicates", [])), "failures": len(report.get("failures", [])),
            "chunks_written": report.get("chunks_written"), "seconds": round(seconds, 1),
            "chunks_per_second": round((report.get("chunks_written") or 0) / seconds, 1),
            "embedding_seconds": round(report.get("embed_seconds", 0), 1),
            "ingest_peak_rss_mb": peak, "server_peak_rss_mb": peak_rss_mb(server.pid),
            "server_disk_mb": disk_mb(args.server_path),
        }
    write_results("archive-ingest", figures, notes="ingest.py --chroma-url over all of OrangeSum and BBC, "
                  "one process, a chroma run server on the same machine")


def step_parallel(args) -> None:
    records = []
    with gzip.open(CORPUS / "orangesum" / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line, _ in zip(handle, range(args.articles)):
            records.append(line)
    with chroma_server(args.server_path) as (url, _), tempfile.TemporaryDirectory() as tmp:
        halves = []
        for i in range(2):
            path = Path(tmp) / f"half{i}.jsonl"
            path.write_text("".join(records[i::2]), encoding="utf-8")
            halves.append(path)
        log = args.server_path.parent / "parallel.log"
        one_s, one, _ = ingest(f"{url}/one-{int(time.time())}", halves, Path(tmp) / "a", log)
        t0 = time.perf_counter()
        stamp = int(time.time())
        with log.open("a") as err:
            # each process gets half the threads the one process had: the same cores, shared out
            from qa.settings import get_settings

            env = {**os.environ, "QA_THREADS": str(max(1, get_settings().threads // 2))}
            procs = [subprocess.Popen([sys.executable, "ingest.py", "--chroma-url", f"{url}/two-{stamp}", "--store",
                                       str(Path(tmp) / f"b{i}"), "--json", "--quiet", str(half)], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=err, text=True) for i, half in enumerate(halves)]
            reports = [json.loads(p.communicate()[0]) for p in procs]
        two_s = time.perf_counter() - t0
    chunks_two = sum(r["chunks_written"] for r in reports)
    write_results("archive-parallel", {
        "articles": args.articles, "cpus": os.cpu_count(),
        "one_process_s": round(one_s, 1), "one_process_chunks": one["chunks_written"],
        "two_processes_s": round(two_s, 1), "two_processes_chunks": chunks_two,
        "speedup": round(one_s / two_s, 2), "two_processes_threads_each": env["QA_THREADS"],
    }, notes="the same articles into fresh databases of one chroma run server; one process with QA_THREADS "
          "as configured, then two with half of it each")


QUERIES = [json.loads(line)["question"] for line in (ROOT / "data/eval/hard.jsonl").read_text().splitlines()
           if line.strip()]


def step_search(args) -> None:
    from qa import Assistant
    from qa.store.articles import Article
    from qa.ingest.ingestion import Ingestor
    from qa.retrieval.search import hybrid_search

    figures: dict = {}
    with chroma_server(args.server_path) as (url, server), tempfile.TemporaryDirectory() as tmp:
        where = f"{url}/{DATABASE}"
        t0 = time.perf_counter()
        host_a = Assistant(store_dir=Path(tmp) / "a", chroma_url=where)
        figures["open_s"] = round(time.perf_counter() - t0, 2)
        figures["articles"], figures["chunks"] = host_a.store.count_articles(), host_a.store.count_chunks()
        t0 = time.perf_counter()
        host_a.store.keyword_search("warm", 1)
        figures["first_keyword_sync_of_a_new_host_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        articles = host_a.articles()
        figures["list_articles_s"] = round(time.perf_counter() - t0, 2)
        assert len(articles) == figures["articles"]
        embedder = host_a.embedder
        hybrid_search(host_a.store, embedder, "échauffement", 5)
        latencies = []
        for question in QUERIES[: args.queries]:
            t0 = time.perf_counter()
            hybrid_search(host_a.store, embedder, question, host_a.settings.candidates)
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        figures["hybrid_search_ms_p50"] = round(1000 * statistics.median(latencies), 1)
        figures["hybrid_search_ms_p95"] = round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1)
        # a second host that has synced before: one new article, stored by the first host
        host_b_dir = Path(tmp) / "b"
        shutil.copytree(Path(tmp) / "a", host_b_dir)
        host_b = Assistant(store_dir=host_b_dir, chroma_url=where)
        host_b.store.keyword_search("warm", 1)
        article = Article(id=f"bench-new-{int(time.time())}", title="Un zèbre nommé Zanzibar traverse la Loire",
                          text="Le zèbre Zanzibar, échappé d'un cirque, a traversé la Loire à la nage mardi matin. "
                               "Les pompiers l'ont récupéré sur la rive gauche, épuisé mais indemne.", lang="fr")
        t0 = time.perf_counter()
        Ingestor(host_a.store, embedder, host_a.settings).feed([article])
        figures["one_article_stored_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        found = host_a.store.keyword_search("zèbre Zanzibar Loire", 1)
        figures["one_article_keyword_searchable_same_host_s"] = round(time.perf_counter() - t0, 2)
        t1 = time.perf_counter()
        other = host_b.store.keyword_search("zèbre Zanzibar Loire", 1)
        figures["one_article_keyword_searchable_other_host_s"] = round(time.perf_counter() - t1, 2)
        assert found[0].article_id == article.id == other[0].article_id
        host_a.delete(article.id)
        figures["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        figures["keyword_copy_disk_mb"] = disk_mb(Path(tmp) / "a")
    write_results("archive-search", figures, notes=f"{len(latencies)} questions of data/eval/hard.jsonl, "
                  "hybrid_search (dense + keyword, no translation), warm, one chroma run server on this machine")


def step_start(args) -> None:
    with chroma_server(args.server_path) as (url, _), tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "host"
        runs = []
        for _ in range(args.runs):  # the first run also makes this host's keyword copy: not at start, at a search
            port = free_port()
            t0 = time.perf_counter()
            app = subprocess.Popen([sys.executable, "app.py", "--chroma-url", f"{url}/{DATABASE}", "--store",
                                    str(store), "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            try:
                while True:
                    with contextlib.suppress(OSError):
                        if urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200:
                            break
                    if app.poll() is not None or time.perf_counter() - t0 > 300:
                        raise RuntimeError("the app did not start")
                    time.sleep(0.1)
                runs.append(time.perf_counter() - t0)
            finally:
                app.terminate()
                app.wait(timeout=60)
    write_results("archive-start", {"runs_s": [round(s, 1) for s in runs], "median_s": round(statistics.median(runs), 1)},
                  notes="python app.py --chroma-url: from the command to the page answering (HTTP 200)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["ingest", "parallel", "search", "start"])
    parser.add_argument("--server-path", type=Path, required=True, help="the Chroma server's data folder")
    parser.add_argument("--articles", type=int, default=2000, help="parallel: articles ingested each way")
    parser.add_argument("--queries", type=int, default=160, help="search: questions timed")
    parser.add_argument("--runs", type=int, default=3, help="start: app starts timed")
    args = parser.parse_args()
    {"ingest": step_ingest, "parallel": step_parallel, "search": step_search, "start": step_start}[args.step](args)


if __name__ == "__main__":
    main()
