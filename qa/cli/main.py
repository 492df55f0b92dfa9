"""Command line: ``python -m qa COMMAND``. Run ``python -m qa --help`` for the list."""

from __future__ import annotations

import argparse
import sys

from qa.cli.common import add_store_option
from qa.cli.reading import (cmd_articles, cmd_ask, cmd_brief, cmd_check, cmd_quotes, cmd_retrieve, cmd_summarize,
                            cmd_timeline)
from qa.cli.upkeep import cmd_doctor, cmd_eval, cmd_export, cmd_import, cmd_setup


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
    from qa.store.errors import StoreError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (StoreError, ModelUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2



if __name__ == "__main__":
    sys.exit(main())
