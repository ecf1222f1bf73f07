#!/usr/bin/env bash
# Lint, format check and type check (configured in pyproject.toml); scripts/test.sh runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Paths whose formatting is enforced. The rest of the tree is formatted in one commit after
# this round's branches are merged (`ruff format .`); then this becomes FORMATTED=(.)
FORMATTED=(qa/cli)

ruff check .
ruff format --check "${FORMATTED[@]}"
mypy
