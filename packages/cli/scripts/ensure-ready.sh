#!/usr/bin/env bash
# Makes a fresh clone runnable, so that the README's quick start is `npm start` and `npm test`: installs the npm
# dependencies when node_modules is missing or older than package-lock.json (npm ci, which also builds the
# native perturbation engine), and builds the TypeScript (tsc -b, incremental: a no-op when up to date).
# With --for-tests it also installs redis-server and prometheus (for promtool) through apt when they are missing
# and this is root on Debian or Ubuntu (jest starts a throwaway Redis when none answers on 127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/../../.."
say() { printf 'fedkseed: %s\n' "$1" >&2; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci; about a minute)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

if [ "${1:-}" = "--for-tests" ] && ! command -v redis-server >/dev/null && [ "${FEDKSEED_SKIP_REDIS_TESTS:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing redis-server for the store and service tests (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  else
    say "redis-server is not installed: the Redis suites will fail (install it, or set FEDKSEED_SKIP_REDIS_TESTS=1)"
  fi
fi

if [ "${1:-}" = "--for-tests" ] && ! command -v promtool >/dev/null && [ "${FEDKSEED_SKIP_PROMTOOL_TESTS:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing prometheus (promtool checks the metrics) for the tests (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    say "promtool is not installed: the metrics tests will fail (apt install prometheus, or FEDKSEED_SKIP_PROMTOOL_TESTS=1)"
  fi
fi

say "building (tsc -b)"
npm run --silent build >&2
