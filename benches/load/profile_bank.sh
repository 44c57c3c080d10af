#!/usr/bin/env bash
# Load benchmark (issue: consent, audit, rate limits): a bank reads firms' credit profiles through
# `GET /v1/firms/{uscc}/profile?purpose=credit_assessment` over FIRMS demo firms: API key checked, rate
# limit metered, consent checked, profile served from the cache, access logged durably (group commit)
# before each reply. In the same run, a bare actix-web server (examples/bare_server.rs) returns the same
# bytes, as the ceiling. PostgreSQL + Redis (PG_URL, REDIS_URL; a database `credithub_bench_load` is
# re-created). Needs wrk (apt-get install wrk).
#   benches/load/profile_bank.sh
#   FIRMS=2000 DURATION=30s CONNECTIONS=64 benches/load/profile_bank.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FIRMS="${FIRMS:-1000}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-64}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
BENCH_DB="credithub_bench_load"
export DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
export REDIS_URL
export CREDITHUB_CACHE_NAMESPACE="bench-load-$$"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
HUB=127.0.0.1:18080
BARE=127.0.0.1:18081
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build --release -q --bin credithub --example bare_server
BIN="${BIN:-$CARGO_TARGET_DIR/release/credithub}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
echo "== demo: $FIRMS firms with 36 months of signals and their profiles (PostgreSQL)"
"$BIN" demo --firms "$FIRMS" --keys-file "$WORK/keys.env" | tail -1
# shellcheck disable=SC1091
source "$WORK/keys.env"
"$BIN" serve --bind "$HUB" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done

echo "== the bank's limits raised for the run; consents registered by the bank and confirmed for every firm"
python3 benches/load/bank_consents.py "$HUB" "$FIRMS" "$WORK/usccs.txt"
U=$(head -1 "$WORK/usccs.txt")
curl -sf "http://$HUB/v1/firms/$U/profile?purpose=credit_assessment" -H "Authorization: Bearer $BANK_KEY" > "$WORK/profile.json"
echo "profile: $(wc -c < "$WORK/profile.json") bytes"
"$CARGO_TARGET_DIR/release/examples/bare_server" "$BARE" "$WORK/profile.json" &
PIDS+=($!)
sleep 0.5
BEFORE=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM access_log")

export USCC_FILE="$WORK/usccs.txt" BANK_KEY
# The demo has just written ~1 M rows: vacuum and checkpoint now, so autovacuum and a checkpoint do not
# land in the measured run (a server in steady state, not one just after a bulk load).
psql "$DATABASE_URL" -qc "VACUUM ANALYZE" -c "CHECKPOINT"
echo "== warm-up (fills the profile and consent caches)"
wrk -t2 -c"$CONNECTIONS" -d5s -s benches/load/profile.lua "http://$HUB" >/dev/null
BEFORE=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM access_log")
echo "== hub: bank key, consent, cache, durable audit  ($CONNECTIONS connections, $DURATION)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s benches/load/profile.lua "http://$HUB" | tee "$WORK/hub.txt" | grep -E "Requests/sec|p50|Socket"
AFTER=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM access_log")
echo "== bare actix-web route, same bytes"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s benches/load/profile.lua "http://$BARE" | tee "$WORK/bare.txt" | grep -E "Requests/sec|p50|Socket"
python3 - "$WORK/hub.txt" "$WORK/bare.txt" "$((AFTER - BEFORE))" <<'PY'
import re, sys
def rps(f):
    t = open(f).read()
    return float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)), int(re.search(r"(\d+) requests in", t).group(1))
(hub, n), (bare, _) = rps(sys.argv[1]), rps(sys.argv[2])
print(f"hub {hub:,.0f} req/s, bare {bare:,.0f} req/s, ratio {hub / bare:.2f}; "
      f"access-log rows written during the run {sys.argv[3]} for {n} requests")
PY
