#!/usr/bin/env bash
# Issue 17's figure: one claim batch of 100,000 lines, reconciled through the page path (an agency's
# person signed in, the batch uploaded as an XLSX workbook from the batches form, multipart) next to the
# same lines as CSV through the API (`POST /v1/subsidy-claims`, a key). Same contracts, same policy, each
# on a freshly started release server over PostgreSQL, so its peak resident memory (VmHWM) is that one
# upload's; the time is the request's, end to end (read, parse, reconcile, store, answer).
# PostgreSQL at PG_URL (a database `credithub_bench_page` is re-created); XlsxWriter from PyPI in a venv
# writes the workbook.
#   benches/load/claims_page.sh
#   LINES=20000 FIRMS=5000 benches/load/claims_page.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${LINES:-100000}"
FIRMS="${FIRMS:-20000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_page"
export DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
unset REDIS_URL
HUB=127.0.0.1:18083
VENV="${BENCH_VENV:-/work/venv-bench}"
cargo build --release -q --bin credithub
BIN="$CARGO_TARGET_DIR/release/credithub"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import xlsxwriter' 2>/dev/null || "$VENV/bin/pip" install -q XlsxWriter
WORK="$(mktemp -d)"
PID=""
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; PID=""; fi; }
cleanup() { stop; rm -rf "$WORK"; }
trap cleanup EXIT
start() {
  "$BIN" serve --bind "$HUB" &
  PID=$!
  for _ in $(seq 100); do curl -sf "http://$HUB/readyz" >/dev/null && return; sleep 0.2; done
  echo "the server did not start" >&2; exit 1
}
peak() { awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$PID/status"; }
timed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$2"; }

psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
"$BIN" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" | tail -1
# shellcheck disable=SC1091
source "$WORK/keys.env"
KEY_HASH=$(printf %s "$GUARANTOR_KEY" | sha256sum | cut -d' ' -f1)
AGENCY=$(psql "$DATABASE_URL" -Atc "SELECT institution_id FROM api_keys WHERE key_hash = '$KEY_HASH'")
echo "== $LINES contracts over $FIRMS firms (SQL)"
psql "$DATABASE_URL" -q <<SQL
INSERT INTO guarantees (id, agency_id, contract_no, firm_uscc, lender, loan_amount_fen, guaranteed_fen,
                        fee_rate, start_on, end_on, released_on, first_loan, created_at)
SELECT 'bench-' || lpad(i::text, 7, '0'), '$AGENCY', 'G-' || lpad(i::text, 7, '0'), f.uscc, 'Bench Bank',
       100000000 + (i % 50) * 1000000, 80000000 + (i % 50) * 800000,
       CASE WHEN i % 10 = 0 THEN '0.025' ELSE '0.01' END,
       DATE '2025-07-01' + (i % 365), DATE '2026-07-01' + (i % 365),
       CASE WHEN i % 50 = 7 THEN DATE '2026-03-01' END, i % 3 = 0, now()
FROM generate_series(0, $LINES - 1) AS i
JOIN (SELECT uscc, (row_number() OVER (ORDER BY uscc)) - 1 AS n FROM firms) AS f ON f.n = i % $FIRMS;
ANALYZE guarantees;
SQL
start
POLICY=$(curl -sf -X POST "http://$HUB/v1/subsidy-policies" -H "Authorization: Bearer $GOV_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench","window_from":"2025-01-01","window_to":"2026-12-31",
  "rules":[{"type":"size_class","any_of":["micro","small","medium"]}],"max_fee_rate":"0.02",
  "formula":{"kind":"share_of_fee","share":"0.5"},"cap_per_contract":"3000","budget":"2000000000"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
stop
psql "$DATABASE_URL" -qc "\copy (SELECT CASE WHEN i % 1000 = 999 THEN 'X-' || i ELSE 'G-' || lpad(i::text, 7, '0') END AS contract_no,
  '2026-01-01' AS \"from\", '2026-07-01' AS \"to\", ((i % 40) * 100)::text || '.00' AS claimed
  FROM generate_series(0, $LINES - 1) AS i) TO '$WORK/claims.csv' CSV HEADER"
# The same lines as a workbook an agency keeps: Chinese headers, Excel dates, amounts as numbers.
"$VENV/bin/python" - "$WORK/claims.csv" "$WORK/claims.xlsx" <<'PY'
import csv, datetime, sys, xlsxwriter
wb = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
ws = wb.add_worksheet("申报明细")
date = wb.add_format({"num_format": "yyyy/m/d"})
for c, h in enumerate(["合同编号", "起始日", "截止日", "申请金额"]):
    ws.write_string(0, c, h)
with open(sys.argv[1], newline="") as f:
    for r, row in enumerate(csv.DictReader(f), start=1):
        ws.write_string(r, 0, row["contract_no"])
        ws.write_datetime(r, 1, datetime.datetime.fromisoformat(row["from"]), date)
        ws.write_datetime(r, 2, datetime.datetime.fromisoformat(row["to"]), date)
        ws.write_number(r, 3, float(row["claimed"]))
wb.close()
PY
echo "files: CSV $(du -h "$WORK/claims.csv" | cut -f1), XLSX $(du -h "$WORK/claims.xlsx" | cut -f1), $LINES lines"

echo "== API: the lines as CSV (POST /v1/subsidy-claims)"
start
IDLE=$(peak)
T0=$(date +%s.%N)
curl -sf -X POST "http://$HUB/v1/subsidy-claims?policy_id=$POLICY" -H "Authorization: Bearer $GUARANTOR_KEY" \
  -H 'content-type: text/csv' -H "Idempotency-Key: api-$$" --data-binary "@$WORK/claims.csv" > "$WORK/api.json"
T1=$(date +%s.%N)
echo "reconciled in $(timed "$T0" "$T1"); peak memory $(peak) (idle $IDLE)"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("lines", b["lines"], "totals", b["totals"])' "$WORK/api.json"
stop

echo "== Page: the lines as XLSX from the batches form (signed in as demo.agency)"
# The API batch is withdrawn first, so the page's batch is reconciled against the same state.
start
API_BATCH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/api.json")
curl -sf -X POST "http://$HUB/v1/subsidy-claims/$API_BATCH/withdraw" -H "Authorization: Bearer $GUARANTOR_KEY" >/dev/null
IDLE=$(peak)
JAR="$WORK/cookies"
csrf() { grep -oE 'name="csrf" value="[^"]+"' | head -1 | sed -E 's/.*value="([^"]+)"/\1/'; }
CSRF=$(curl -sf -c "$JAR" -b "$JAR" "http://$HUB/" | csrf)
curl -sf -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "login=$DEMO_AGENCY_LOGIN" \
  --data-urlencode "password=$DEMO_AGENCY_PASSWORD" --data-urlencode "csrf=$CSRF" "http://$HUB/sign-in"
CSRF=$(curl -sf -b "$JAR" "http://$HUB/agency/batches" | csrf)
T0=$(date +%s.%N)
LOCATION=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$JAR" -F "csrf=$CSRF" -F "policy_id=$POLICY" \
  -F "idempotency_key=page-$$" -F charset=auto -F "file=@$WORK/claims.xlsx;filename=claims.xlsx" \
  "http://$HUB/agency/batches")
T1=$(date +%s.%N)
echo "reconciled in $(timed "$T0" "$T1"); peak memory $(peak) (idle $IDLE); batch page $LOCATION"
PAGE_BATCH=${LOCATION##*/}
curl -sf "http://$HUB/v1/reconciliations/$PAGE_BATCH" -H "Authorization: Bearer $GUARANTOR_KEY" \
  | python3 -c 'import json,sys; b=json.load(sys.stdin); print("lines", len(b["lines"]), "totals", b["totals"])'
T0=$(date +%s.%N)
curl -sf -o /dev/null -b "$JAR" "$LOCATION"
T1=$(date +%s.%N)
echo "the batch page (its first 200 lines; the sums over all of them): $(timed "$T0" "$T1")"
