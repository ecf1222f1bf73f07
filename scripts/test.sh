#!/usr/bin/env bash
# Install (if needed), lint and type-check, then run the whole test suite, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
./scripts/browser-deps.sh
./scripts/postgres.sh
. .venv/bin/activate
./scripts/lint.sh
python -m pytest "$@"
