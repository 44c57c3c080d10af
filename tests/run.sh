#!/usr/bin/env bash
# The test command (README, "The two commands"): installs what the browser tests need — Debian's
# chromium and chromium-driver and CJK fonts for the screenshots, axe-core from npm into
# tests/browser/node_modules — then runs every test. Arguments go to `cargo test`.
# DATABASE_URL / REDIS_URL, when set, put the tests on PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "the browser tests need: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
exec cargo test --workspace "$@"
