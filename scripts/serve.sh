#!/usr/bin/env bash
# Install (if needed) and serve the demo corpus; the index is built on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
. .venv/bin/activate
exec qa serve "$@"
