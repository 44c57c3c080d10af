#!/usr/bin/env bash
# Readers against importers on the embedded SQLite default (issue: faults and limits): bank profile reads
# (each writes its access-log row before the reply) by READERS clients for DURATION seconds, first alone,
# then while IMPORTERS clients post 20,000-row signal imports back to back. Prints the readers' p50/p99
# and statuses for both, and how many imports completed.
#   benches/load/sqlite_readers.sh
#   IMPORTERS=4 READERS=8 DURATION=20 benches/load/sqlite_readers.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
IMPORTERS="${IMPORTERS:-4}"
READERS="${READERS:-8}"
DURATION="${DURATION:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
HUB=127.0.0.1:18096
cargo build --release -q --bin credithub --example fault_load
BIN="${BIN:-$CARGO_TARGET_DIR/release/credithub}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export DATABASE_URL="$WORK/bench.db"
unset REDIS_URL
"$BIN" demo --firms 300 --keys-file "$WORK/keys.env" >/dev/null
# shellcheck disable=SC1091
source "$WORK/keys.env"
"$BIN" serve --bind "$HUB" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done
python3 benches/load/bank_consents.py "$HUB" 300 "$WORK/usccs.txt"
for i in $(seq "$IMPORTERS"); do
  python3 - "$WORK/usccs.txt" "$WORK/import-$i.csv" "$i" <<'PY'
import sys
usccs = [u for u in open(sys.argv[1]).read().split() if u][:40]
i = int(sys.argv[3])
with open(sys.argv[2], "w") as f:
    f.write("uscc,kind,period,value\n")
    for u in sorted(usccs):
        for m in range(500):
            f.write(f"{u},invoiced_revenue,{1960 + m // 12}-{m % 12 + 1:02d},{1000 + i}.00\n")
PY
done
load() { "$CARGO_TARGET_DIR/release/examples/fault_load" "http://$HUB" "$WORK/usccs.txt" "$BANK_KEY" "$READERS" "$DURATION" | grep -E "^total|^latency"; }
echo "== readers alone ($READERS clients, $DURATION s)"
load
echo "== readers with $IMPORTERS importers posting 20,000-row imports back to back"
END=$(($(date +%s) + DURATION))
IMP=()
for i in $(seq "$IMPORTERS"); do
  ( n=0; while [ "$(date +%s)" -lt "$END" ]; do
      code=$(curl -s -o /dev/null -w "%{http_code}" -X POST "http://$HUB/v1/signals/import?source=tax" \
        -H "Authorization: Bearer $GOV_KEY" -H 'content-type: text/csv' --data-binary @"$WORK/import-$i.csv")
      echo "$code" >> "$WORK/imports.txt"; n=$((n + 1)); done ) &
  IMP+=($!)
done
load
wait "${IMP[@]}"
echo "imports answered: $(sort "$WORK/imports.txt" | uniq -c | tr '\n' ' ')"
