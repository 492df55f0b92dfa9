"""Wire copies grouped into stories (qa/ingest/stories.py): precision, recall and cost.

    python bench/stories.py [--synthetic 400] [--corpus-articles 40000] [--store-articles 10000]
                            [--embed-articles 150]

1. Labelled pairs (data/eval/stories-pairs.jsonl, ids of OrangeSum articles): each pair read and
   labelled ``copy`` (versions of one report: headline, lead, paragraphs, figures or byline edited),
   ``different`` (separately written, or sharing only background or boilerplate), ``follow-up`` (a
   later development written on top of the earlier article) or ``borderline``. Precision and recall
   of "Jaccard of the 5-word shingles >= t" per threshold, copies against different + follow-up;
   borderline pairs are counted apart. Also: how many pairs share an LSH band (are candidates at all).
2. Synthetic edits of real articles (OrangeSum, and BBC in English: its text is read, never written
   anywhere): new headline, byline, paragraph added, paragraph cut, lead rewritten, figures updated, and
   all of headline + byline + added + cut; recall per edit kind and threshold, and the similarity of
   each article with a random other one (false positives).
3. The first ``--corpus-articles`` OrangeSum articles grouped as ingestion groups them (the store's
   band index simulated by a dict): stories found, candidates checked, cost per article, and the
   precision of the pairs it makes: pairs grouped in the whole corpus were drawn per similarity band
   and read (data/eval/stories-grouped.jsonl); each band's precision is weighted by this run's count.
4. A real store holding ``--store-articles`` articles with their band keys: the candidate lookup's time
   and the band index's size per article.
5. The bundled embedder on the chunks of ``--embed-articles`` articles: the ingestion cost of the stories
   as a fraction of the embedding cost.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from contextlib import closing

from common import CORPUS, ROOT, write_results

from qa.text.cleaning import clean_text
from qa.text.sentences import sentences
from qa.ingest.stories import THRESHOLD, Fingerprint, StoryMatcher

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
PAIRS = ROOT / "data" / "eval" / "stories-pairs.jsonl"
GROUPED = ROOT / "data" / "eval" / "stories-grouped.jsonl"


def read_corpus(name: str, limit: int | None = None) -> list[dict]:
    out = []
    with gzip.open(CORPUS / name / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(out) >= limit:
                break
            record = json.loads(line)
            record.pop("abstract", None)
            record["text"] = clean_text(record["text"])  # as ingestion reads it
            record["title"] = clean_text(record.get("title") or "")
            out.append(record)
    return out


def labelled(by_id: dict[str, dict]) -> dict:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = []
    for pair in pairs:
        a, b = Fingerprint(by_id[pair["a"]]["text"]), Fingerprint(by_id[pair["b"]]["text"])
        rows.append((a.similarity(b), a.estimated_similarity(b), bool(set(a.bands) & set(b.bands)), pair["label"]))
    counts = Counter(r[3] for r in rows)
    table = {}
    for t in THRESHOLDS:
        tp = sum(1 for s, _, _, label in rows if label == "copy" and s >= t)
        fp = sum(1 for s, _, _, label in rows if label in ("different", "follow-up") and s >= t)
        table[str(t)] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0, "recall": round(tp / counts["copy"], 3),
            "false_positives": fp,
            "of_which_follow_ups": sum(1 for s, _, _, label in rows if label == "follow-up" and s >= t),
            "borderline_grouped": sum(1 for s, _, _, label in rows if label == "borderline" and s >= t)}
    error = [abs(s - e) for s, e, _, _ in rows]
    return {
        "pairs": dict(counts), "by_threshold": table,
        "copies_sharing_a_band": f"{sum(1 for r in rows if r[3] == 'copy' and r[2])}/{counts['copy']}",
        "pairs_at_threshold_sharing_a_band": f"{sum(1 for r in rows if r[0] >= THRESHOLD and r[2])}/"
                                              f"{sum(1 for r in rows if r[0] >= THRESHOLD)}",
        "minhash_error_mean": round(statistics.mean(error), 3), "minhash_error_max": round(max(error), 3),
    }


def shingle_variants(by_id: dict[str, dict]) -> dict:
    """Other ways of comparing, on the same labels: shingles of 3 to 7 words, or of 2 to 4 keyword stems
    (qa.store.keyword.tokenize), by Jaccard or by containment (shared / smaller set): the best F1 of each."""
    from qa.store.keyword import tokenize
    from qa.text.language import fold

    def words(text):
        return re.findall(r"\w+", fold(text).replace("'", " "))

    def grams(tokens, n):
        return {" ".join(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))}

    kinds = {**{f"{n} words": (words, n) for n in (3, 4, 5, 7)}, **{f"{n} stems": (tokenize, n) for n in (2, 3, 4)}}
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [p for p in pairs if p["label"] != "borderline"]
    copies = sum(p["label"] == "copy" for p in pairs)
    out = {}
    for name, (split, n) in kinds.items():
        scores = []
        for p in pairs:
            a, b = grams(split(by_id[p["a"]]["text"]), n), grams(split(by_id[p["b"]]["text"]), n)
            common = len(a & b)
            scores.append((common / len(a | b), common / min(len(a), len(b)), p["label"] == "copy"))
        for measure, index in (("jaccard", 0), ("containment", 1)):
            best = 0.0
            for t in (x / 100 for x in range(10, 100)):
                tp = sum(1 for s in scores if s[2] and s[index] >= t)
                fp = sum(1 for s in scores if not s[2] and s[index] >= t)
                if tp:
                    precision, recall = tp / (tp + fp), tp / copies
                    best = max(best, 2 * precision * recall / (precision + recall))
            out[f"{name}, {measure}"] = round(best, 3)
    return out


# ---------------------------------------------------------------- synthetic edits

BYLINES = {"fr": ("Par {name} (AFP)", "(Avec AFP)"), "en": ("By {name}, Reuters", "(Reporting by {name})")}
NAMES = ("Claire Dumont", "Jean-Marc Lefèvre", "Sophie Martin", "Paul Girard", "Anna Smith", "David Jones")


def _paragraphs(text: str) -> list[str]:
    """Paragraphs when the text has them (BBC), else runs of three sentences (OrangeSum texts have none)."""
    parts = [p for p in text.split("\n\n") if p.strip()]
    if len(parts) >= 3:
        return parts
    said = sentences(text)
    return [" ".join(said[i:i + 3]) for i in range(0, len(said), 3)]


def edits(text: str, lang: str, donor: str, rng: random.Random) -> dict[str, str]:
    """The edited versions of ``text``, by kind (``donor``: another article, the source of new words)."""
    paragraphs, extra = _paragraphs(text), _paragraphs(donor)
    name = rng.choice(NAMES)
    head, tail = BYLINES[lang]
    joiner = "\n\n" if "\n\n" in text else " "

    def byline(body: str) -> str:
        return f"{head.format(name=name)}\n\n{body}\n\n{tail.format(name=name)}"

    def added(parts: list[str]) -> list[str]:
        at = rng.randint(1, len(parts))
        return parts[:at] + [rng.choice(extra)] + parts[at:]

    def cut(parts: list[str]) -> list[str]:
        if len(parts) < 2:
            return parts
        at = rng.randrange(1, len(parts)) if len(parts) > 2 else 1
        return parts[:at] + parts[at + 1:]

    said, other = sentences(text), sentences(donor)
    lead = joiner.join([*other[:2], *said[2:]]) if len(said) > 3 else text
    figures = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), text)
    return {
        "new headline": text,  # the text is what is compared: a headline never is
        "byline": byline(text),
        "paragraph added": joiner.join(added(paragraphs)),
        "paragraph cut": joiner.join(cut(paragraphs)),
        "lead rewritten": lead,
        "figures updated": figures,
        "all of headline, byline, added, cut": byline(joiner.join(cut(added(paragraphs)))),
    }


def synthetic(records: list[dict], lang: str, n: int, exclude: set[str], seed: int = 14) -> dict:
    rng = random.Random(seed)
    pool = [r for r in records if r["id"] not in exclude and len(r["text"].split()) >= 80]
    chosen = rng.sample(pool, min(n, len(pool)))
    scores: dict[str, list[float]] = defaultdict(list)
    candidates: dict[str, int] = Counter()
    negatives = []
    for record in chosen:
        donor = rng.choice(pool)
        while donor is record:
            donor = rng.choice(pool)
        original = Fingerprint(record["text"])
        for kind, edited in edits(record["text"], lang, donor["text"], rng).items():
            copy = Fingerprint(edited)
            scores[kind].append(original.similarity(copy))
            candidates[kind] += bool(set(original.bands) & set(copy.bands))
        negatives.append(original.similarity(Fingerprint(donor["text"])))
    out = {"articles": len(chosen), "recall": {}, "similarity": {}, "candidates": {}}
    for kind, values in scores.items():
        out["recall"][kind] = {str(t): round(sum(v >= t for v in values) / len(values), 3) for t in THRESHOLDS}
        values = sorted(values)
        out["similarity"][kind] = {"min": round(values[0], 3), "p10": round(values[len(values) // 10], 3),
                                   "median": round(statistics.median(values), 3)}
        out["candidates"][kind] = round(candidates[kind] / len(values), 3)
    out["random_other_article"] = {"max_similarity": round(max(negatives), 3),
                                   "at_or_above_threshold": sum(v >= THRESHOLD for v in negatives)}
    return out


# ---------------------------------------------------------------- the corpus, grouped as ingestion does


def group_corpus(records: list[dict]) -> dict:
    index: dict[str, list[str]] = defaultdict(list)
    story_of: dict[str, str] = {}
    text_of: dict[str, str] = {}
    checked = 0

    def candidates(bands):
        nonlocal checked
        found = {other: story_of[other] for key in bands for other in index.get(key, ())}
        checked += len(found)
        return found

    matcher = StoryMatcher(candidates, text_of.get)
    seen_hashes: set[tuple[str, str]] = set()
    duplicates = 0
    started = time.perf_counter()
    for record in records:
        key = (record["title"], record["text"])
        if key in seen_hashes:  # same title and text: ingestion reports it as a duplicate, stores it once
            duplicates += 1
            continue
        seen_hashes.add(key)
        story, fingerprint = matcher.match(record["id"], record["text"])
        matcher.clear()  # written at once (a batch of one): the next ones find it through the index
        story_of[record["id"]], text_of[record["id"]] = story, record["text"]
        for band in fingerprint.bands:
            index[band].append(record["id"])
    seconds = time.perf_counter() - started
    members = Counter(story_of.values())
    stored = len(story_of)
    joined = sum(1 for article, story in story_of.items() if story != article)
    similarities = [Fingerprint(text_of[a]).similarity(Fingerprint(text_of[s])) for a, s in story_of.items() if s != a]
    out = {"articles": len(records), "duplicates_same_title_and_text": duplicates, "stored": stored,
           "joined_a_story": joined, "stories_of_two_or_more": sum(1 for n in members.values() if n > 1),
           "largest_story": max(members.values()),
           "candidates_checked_per_article": round(checked / stored, 3),
           "ms_per_article": round(seconds / stored * 1000, 2)}
    if GROUPED.exists():
        out["precision_of_grouped_pairs"] = grouped_precision(by_id={r["id"]: r for r in records},
                                                              similarities=similarities)
    return out


BANDS_READ = ((0.35, 0.4), (0.4, 0.45), (0.45, 0.5), (0.5, 0.6), (0.6, 0.8), (0.8, 1.01))


def grouped_precision(by_id: dict[str, dict], similarities: list[float]) -> dict:
    """Precision of the grouping in the corpus: pairs it made, drawn per similarity band and read
    (data/eval/stories-grouped.jsonl), each band weighted by how many articles joined a story at that
    similarity in this run."""
    read = [json.loads(line) for line in GROUPED.read_text(encoding="utf-8").splitlines() if line.strip()]
    per_band: dict[tuple, Counter] = defaultdict(Counter)
    for pair in read:
        if pair["a"] in by_id and pair["b"] in by_id:
            score = Fingerprint(by_id[pair["a"]]["text"]).similarity(Fingerprint(by_id[pair["b"]]["text"]))
            band = next((b for b in BANDS_READ if b[0] <= score < b[1]), None)
            if band:
                per_band[band][pair["label"]] += 1
    out, copies, total = {}, 0.0, 0
    for band in BANDS_READ:
        labels = per_band.get(band)
        joined = sum(1 for v in similarities if band[0] <= v < band[1])
        if not labels:
            continue
        precision = labels["copy"] / sum(labels.values())
        out[f"{band[0]}-{min(band[1], 1.0)}"] = {"read": dict(labels), "precision": round(precision, 3),
                                                 "joined": joined}
        if band[0] >= THRESHOLD:
            copies, total = copies + precision * joined, total + joined
    out["estimated_precision_at_threshold"] = round(copies / total, 3) if total else None
    return out


def store_cost(records: list[dict], stored: int, asked: int = 1000) -> dict:
    """The store's part: ``stored`` articles written with their band keys (no chunks: no embedding), then the
    candidates of ``asked`` other articles looked up; the size of the band table and its indexes."""
    import os
    import sqlite3
    import tempfile

    import numpy as np

    from qa.store.articles import Article
    from qa.store.catalog import StoryKey
    from qa.store.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp, "bench-stories")
        for begin in range(0, stored, 500):
            part = records[begin:min(begin + 500, stored)]
            items = [(Article(id=r["id"], title=r["title"], text=r["text"]), [], np.zeros((0, 512), np.float32))
                     for r in part]
            store.write(items, stories={r["id"]: StoryKey(r["id"], Fingerprint(r["text"]).bands) for r in part})
        times = []
        for r in records[stored:stored + asked]:
            bands = Fingerprint(r["text"]).bands
            started = time.perf_counter()
            store.story_candidates(bands)
            times.append(time.perf_counter() - started)
        store.close()
        with closing(sqlite3.connect(os.path.join(tmp, "articles.sqlite3"))) as db:
            size = db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('story_bands', 'story_bands_article', "
                              "'sqlite_autoindex_story_bands_1')").fetchone()[0]
    return {"stored": stored, "candidates_ms_median": round(statistics.median(times) * 1000, 3),
            "candidates_ms_p90": round(sorted(times)[int(0.9 * len(times))] * 1000, 3),
            "band_index_bytes_per_article": round(size / stored)}


def embedding_cost(records: list[dict], n: int) -> dict:
    from qa.store.articles import Article
    from qa.ingest.chunking import chunk_article
    from qa.models.embeddings import embed_array, embedder_name, get_embedder
    from qa.ingest.ingestion import embedding_text
    from qa.settings import get_settings

    settings = get_settings()
    embedder = get_embedder(settings.embedder, settings.threads, settings.embed_batch_size)
    articles = [Article(id=r["id"], title=r["title"], text=r["text"]) for r in records[:n]]
    texts = [embedding_text(a.title, c.text) for a in articles
             for c in chunk_article(a, size=settings.chunk_tokens, overlap=settings.chunk_overlap,
                                    encoding=settings.encoding)]
    embed_array(embedder, texts[:64])  # load the weights outside the timing
    started = time.perf_counter()
    for begin in range(0, len(texts), 256):
        embed_array(embedder, texts[begin:begin + 256])
    seconds = time.perf_counter() - started
    return {"embedder": embedder_name(embedder), "articles": len(articles), "chunks": len(texts),
            "ms_per_article": round(seconds / len(articles) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=400, help="articles edited, per language")
    parser.add_argument("--corpus-articles", type=int, default=40000, help="default: all of OrangeSum")
    parser.add_argument("--embed-articles", type=int, default=150)
    parser.add_argument("--store-articles", type=int, default=10000, help="articles written to a store without "
                        "chunks to time the band lookup")
    args = parser.parse_args()
    french = read_corpus("orangesum")
    by_id = {r["id"]: r for r in french}
    pairs_ids = {i for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()
                 for i in (json.loads(line)["a"], json.loads(line)["b"])}
    figures = {"threshold": THRESHOLD, "labelled": labelled(by_id),
               "best_f1_of_other_shingles": shingle_variants(by_id)}
    figures["synthetic_fr"] = synthetic(french, "fr", args.synthetic, pairs_ids)
    figures["synthetic_en"] = synthetic(read_corpus("bbc"), "en", args.synthetic, set())
    figures["corpus"] = group_corpus(french[:args.corpus_articles])
    if args.store_articles:
        figures["store"] = store_cost(french, args.store_articles)
    if args.embed_articles:
        later = french[args.corpus_articles:args.corpus_articles + args.embed_articles] or french[:args.embed_articles]
        figures["embedding"] = embedding_cost(later, args.embed_articles)
        figures["stories_cost_fraction_of_embedding"] = round(
            figures["corpus"]["ms_per_article"] / figures["embedding"]["ms_per_article"], 4)
    write_results("stories", figures)


if __name__ == "__main__":
    main()
