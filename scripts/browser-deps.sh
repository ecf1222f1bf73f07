#!/usr/bin/env bash
# For the browser tests: Debian's Chromium and CJK fonts (Playwright cannot download browsers
# here), and axe-core from npm (accessibility checks) in the git-ignored .cache/npm.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=()
[ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk" || packages+=(chromium fonts-noto-cjk)
command -v npm >/dev/null || packages+=(npm)
if [ ${#packages[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi
AXE=.cache/npm/node_modules/axe-core/axe.min.js
[ -f "$AXE" ] || npm install --silent --no-save --no-audit --no-fund --prefix .cache/npm "axe-core@4" >/dev/null
