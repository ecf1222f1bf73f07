#!/usr/bin/env bash
# For the state store tests: Debian's PostgreSQL server programs (initdb, postgres). The tests
# start their own private cluster on 127.0.0.1 and stop it by PID; nothing here starts a server.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
fi
# Debian's package creates a cluster and may start it: the tests never use it.
