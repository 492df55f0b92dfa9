"""The commands that read the store: ``articles``, ``retrieve``, ``ask``, ``summarize``, ``timeline``, ``quotes``,
``check`` and ``brief``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.cli.common import ProgressBar, open_assistant


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

