#!/usr/bin/env bash
# Create .venv and install qa with its test extras. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch first, pinned: the CPU build on local disk (a plain `torch` pulls GBs of CUDA).
python -m pip install -q torch==2.13.0
# The Milvus extra too: the backend tests run against the engine from its wheel.
python -m pip install -q -e ".[test,milvus]"
