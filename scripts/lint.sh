#!/usr/bin/env bash
# Lint, format check and type check (configured in pyproject.toml); scripts/test.sh runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."

ruff check .
ruff format --check .
mypy
