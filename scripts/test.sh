#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
./scripts/browser-deps.sh
./scripts/postgres.sh
. .venv/bin/activate
python -m pytest "$@"
