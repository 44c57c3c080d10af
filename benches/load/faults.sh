#!/usr/bin/env bash
# Fault script (issue: survive the faults a deployment meets): bank profile reads under a bounded load
# (examples/fault_load.rs: CONNECTIONS clients for DURATION seconds, loopback only) while
#   t=5s   the hub's Redis is stopped (SIGKILL) for 5 s, then started again;
#   t=17s  PostgreSQL is restarted (pg_ctlcluster restart: fast shutdown, start).
# Prints per-second status counts and the longest answer, then the audit check: every 200 has its
# access-log row. PostgreSQL at PG_URL (a database `credithub_bench_faults` is re-created; the cluster is
# restarted: run it on a machine of its own); a Redis of its own on port 16390.
#   benches/load/faults.sh
#   FIRMS=500 CONNECTIONS=16 DURATION=30 benches/load/faults.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FIRMS="${FIRMS:-1000}"
CONNECTIONS="${CONNECTIONS:-32}"
SECONDS_RUN="${DURATION:-30}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_faults"
REDIS_PORT=16390
export DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export CREDITHUB_CACHE_NAMESPACE="bench-faults"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG="${RUST_LOG:-warn}"
HUB=127.0.0.1:18090
CLUSTER="$(ls /etc/postgresql | sort -V | tail -n1)"

cargo build --release -q --bin credithub --example fault_load
BIN="${BIN:-$CARGO_TARGET_DIR/release/credithub}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
redis_up() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$WORK/redis.pid" --dir "$WORK" --logfile "$WORK/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
}
redis_up

psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
echo "== demo: $FIRMS firms (PostgreSQL + Redis)"
"$BIN" demo --firms "$FIRMS" --keys-file "$WORK/keys.env" | tail -1
# shellcheck disable=SC1091
source "$WORK/keys.env"
"$BIN" serve --bind "$HUB" 2> "$WORK/hub.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done
python3 benches/load/bank_consents.py "$HUB" "$FIRMS" "$WORK/usccs.txt"
psql "$DATABASE_URL" -qc "VACUUM ANALYZE" -c "CHECKPOINT"
BEFORE=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM access_log WHERE result = 'ok'")

echo "== load: $CONNECTIONS clients, $SECONDS_RUN s; Redis away at 5-10 s, PostgreSQL restarted at 17 s"
"$CARGO_TARGET_DIR/release/examples/fault_load" "http://$HUB" "$WORK/usccs.txt" "$BANK_KEY" \
  "$CONNECTIONS" "$SECONDS_RUN" | tee "$WORK/load.txt" &
LOAD=$!
sleep 5
kill -9 "$(cat "$WORK/redis.pid")"; echo "-- t=5s Redis stopped"
sleep 5
redis_up; echo "-- t=10s Redis started"
sleep 7
echo "-- t=17s PostgreSQL restart"
pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main restart -m fast
echo "-- PostgreSQL back"
wait "$LOAD"

AFTER=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM access_log WHERE result = 'ok'")
OK=$(grep -Po '(?<=^ok_200 )\d+' "$WORK/load.txt")
echo "== audit: $OK answers 200, $((AFTER - BEFORE)) access-log rows 'ok' written in the run"
if [ "$OK" -ne "$((AFTER - BEFORE))" ]; then echo "MISMATCH: a 200 without its row (or a row without its 200)"; fi
echo "== the hub's warnings during the run"
grep -E "WARN|ERROR" "$WORK/hub.log" | sed -E 's/^[^ ]+ +//' | cut -c1-220 | sort | uniq -c | sort -rn | head -12
