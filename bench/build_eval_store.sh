#!/usr/bin/env bash
# The evaluation store: the first 3,000 OrangeSum articles, all 2,225 BBC articles and the seed
# article (the evaluation questions' articles among thousands of distractors). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:-${QA_EVAL_STORE:-$HOME/.cache/newsdesk-qa/evalstore}}
CORPUS=${QA_CORPUS_DIR:-../shared/corpus}
export QA_STORE_DIR="$STORE"
.venv/bin/python ingest.py --limit 3000 "$CORPUS/orangesum/articles.jsonl.gz" || true  # corpus duplicates are reported
.venv/bin/python ingest.py "$CORPUS/bbc/articles.jsonl.gz" "$CORPUS/seed" || true
echo "evaluation store: $STORE"
