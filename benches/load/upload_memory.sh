#!/usr/bin/env bash
# Memory of large uploads (issue: faults and limits): the server's resident memory while it takes a
# signal import of about 240 MiB (5.2 M tax rows: 48,000 firms x 36 months x 3 kinds, sorted by firm as
# exports are; then the profiles of the 48,000 firms are recomputed) through
# `POST /v1/signals/import`, one alone and then UPLOADS at once. Prints the idle RSS, the peak (VmHWM) after
# each, and the runs' counts. SQLite by default (DATABASE_URL for PostgreSQL: a database
# `credithub_bench_upload` is re-created there; REDIS_URL for Redis). Without Redis the in-process cache
# holds every recomputed profile (about 5.7 kB each) and is part of the peak.
#   benches/load/upload_memory.sh
#   UPLOADS=4 benches/load/upload_memory.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
UPLOADS="${UPLOADS:-4}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
export CREDITHUB_CACHE_NAMESPACE="bench-upload-$$"
HUB=127.0.0.1:18095
cargo build --release -q --bin credithub
BIN="${BIN:-$CARGO_TARGET_DIR/release/credithub}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -n "${DATABASE_URL:-}" ]; then
  PG_URL="$DATABASE_URL"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS credithub_bench_upload" -c "CREATE DATABASE credithub_bench_upload"
  export DATABASE_URL="${PG_URL%/*}/credithub_bench_upload"
else
  export DATABASE_URL="$WORK/bench.db"
fi
"$BIN" demo --firms 48000 --skip-signals --keys-file "$WORK/keys.env" >/dev/null
# shellcheck disable=SC1091
source "$WORK/keys.env"
python3 - "$WORK/rows.csv" <<'PY'
import sqlite3, sys, os, subprocess
out = sys.argv[1]
url = os.environ["DATABASE_URL"]
if url.startswith("postgres"):
    usccs = subprocess.check_output(["psql", url, "-Atc", "SELECT uscc FROM firms ORDER BY uscc"], text=True).split()
else:
    usccs = [r[0] for r in sqlite3.connect(url).execute("SELECT uscc FROM firms ORDER BY uscc")]
months = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
with open(out, "w") as f:
    f.write("uscc,kind,period,value\n")
    for u in usccs:
        for k in ("tax_paid", "invoiced_revenue", "tax_arrears"):
            f.write("".join(f"{u},{k},{p},{(len(p) * 7919) % 100000}.25\n" for p in months))
PY
echo "upload: $(du -m "$WORK/rows.csv" | cut -f1) MiB, $(($(wc -l < "$WORK/rows.csv") - 1)) rows"
"$BIN" serve --bind "$HUB" --upload-limit $((300 << 20)) &
PIDS+=($!)
PID=$!
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done
rss() { grep -E "^$1:" "/proc/$PID/status" | awk '{print int($2/1024)}'; }
IDLE=$(rss VmRSS)
echo "idle RSS ${IDLE} MiB"
post() {
  curl -s -o "$WORK/run-$1.json" -w "%{http_code} %{time_total}s\n" -X POST "http://$HUB/v1/signals/import?source=tax" \
    -H "Authorization: Bearer $GOV_KEY" -H 'content-type: text/csv' --data-binary @"$WORK/rows.csv"
}
echo "one upload: $(post one)"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  run", r["status"], "received", r["received"], "accepted", r["accepted"], "duplicate", r["duplicate"])' "$WORK/run-one.json"
echo "peak RSS after one: $(rss VmHWM) MiB (idle ${IDLE} MiB)"
POSTS=()
for i in $(seq "$UPLOADS"); do post "$i" & POSTS+=($!); done
wait "${POSTS[@]}"
for i in $(seq "$UPLOADS"); do python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  run", r.get("status"), "received", r.get("received"), "duplicate", r.get("duplicate"))' "$WORK/run-$i.json"; done
echo "peak RSS after $UPLOADS at once: $(rss VmHWM) MiB (idle ${IDLE} MiB)"
