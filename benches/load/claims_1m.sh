#!/usr/bin/env bash
# Reconciliation benchmark (issue: guarantees, fee subsidies, reconciliation): 1,000,000 guarantee
# contracts over 100,000 demo firms (generated with SQL straight into the table), a fee-subsidy policy
# with every cap, and one agency's claim batch of 1,000,000 lines posted as CSV to a running server:
# `POST /v1/subsidy-claims` parses, loads the contracts and borrowers, reconciles every line against the
# caps, stores the lines (COPY) and answers the totals, timed end to end; then the government approves it
# (reconciled again against everything approved). PostgreSQL at PG_URL (a database
# `credithub_bench_claims` is re-created).
# VERIFIED=1 also gives every firm two years of verified size figures (insured headcount and invoiced
# revenue for each month from 2024-07 to 2026-06, 4.8M signal rows for 100,000 firms), so that each
# borrower is classified for public money from them at its contract's start (issue 20 §8).
#   benches/load/claims_1m.sh
#   LINES=200000 benches/load/claims_1m.sh
#   VERIFIED=1 benches/load/claims_1m.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${LINES:-1000000}"
FIRMS="${FIRMS:-100000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_claims"
export DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
unset REDIS_URL
HUB=127.0.0.1:18082
cargo build --release -q --bin credithub
BIN="$CARGO_TARGET_DIR/release/credithub"
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
"$BIN" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" | tail -1
# shellcheck disable=SC1091
source "$WORK/keys.env"
# The contracts belong to the agency whose key posts the claims (the demo has two agencies).
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
if [ "${VERIFIED:-0}" = 1 ]; then
  echo "== verified size figures: 24 months of headcount and revenue for every firm (SQL)"
  psql "$DATABASE_URL" -q <<SQL
INSERT INTO ingestion_runs (id, source, origin, status, started_at) VALUES ('bench-verified', 'tax', 'bench', 'completed', now());
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_fen, value_num, run_id, ingested_at)
SELECT f.uscc, k.source, k.kind, to_char(DATE '2024-07-01' + make_interval(months => m), 'YYYY-MM'), '', 1,
       CASE WHEN k.kind = 'invoiced_revenue' THEN 1000000 + (f.n % 997) * 50000 END,
       CASE WHEN k.kind = 'insured_headcount' THEN ((f.n % 389) + 1)::text END,
       'bench-verified', now()
FROM (SELECT uscc, row_number() OVER (ORDER BY uscc) AS n FROM firms) AS f
CROSS JOIN generate_series(0, 23) AS m
CROSS JOIN (VALUES ('tax', 'invoiced_revenue'), ('social_insurance', 'insured_headcount')) AS k(source, kind);
ANALYZE signals;
SQL
  psql "$DATABASE_URL" -Atc "SELECT count(*) || ' signal rows' FROM signals"
fi
"$BIN" serve --bind "$HUB" &
PID=$!
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done
POLICY=$(curl -sf -X POST "http://$HUB/v1/subsidy-policies" -H "Authorization: Bearer $GOV_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench","window_from":"2025-01-01","window_to":"2026-12-31",
  "rules":[{"type":"size_class","any_of":["micro","small","medium"]}],"max_fee_rate":"0.02",
  "formula":{"kind":"share_of_fee","share":"0.5"},"cap_per_contract":"3000","cap_per_firm_year":"40000",
  "budget":"2000000000"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# One line per contract for the first half of 2026 (a few unknown numbers among them).
psql "$DATABASE_URL" -qc "\copy (SELECT CASE WHEN i % 1000 = 999 THEN 'X-' || i ELSE 'G-' || lpad(i::text, 7, '0') END AS contract_no,
  '2026-01-01' AS \"from\", '2026-07-01' AS \"to\", ((i % 40) * 100)::text || '.00' AS claimed
  FROM generate_series(0, $LINES - 1) AS i) TO '$WORK/claims.csv' CSV HEADER"
echo "claim file: $(($(wc -l < "$WORK/claims.csv") - 1)) lines, $(du -h "$WORK/claims.csv" | cut -f1)"
echo "== POST /v1/subsidy-claims (parse, reconcile, store)"
START=$(date +%s.%N)
curl -sf -X POST "http://$HUB/v1/subsidy-claims?policy_id=$POLICY" -H "Authorization: Bearer $GUARANTOR_KEY" \
  -H 'content-type: text/csv' -H "Idempotency-Key: bench-$$" --data-binary "@$WORK/claims.csv" > "$WORK/batch.json"
END=$(date +%s.%N)
BATCH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/batch.json")
python3 - "$WORK/batch.json" "$START" "$END" "$LINES" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); s = float(sys.argv[3]) - float(sys.argv[2]); n = int(sys.argv[4])
print(f"reconciled {b['lines']} lines in {s:.1f} s ({n / s:,.0f} lines/s); totals {b['totals']}")
PY
psql "$DATABASE_URL" -Atc "SELECT status, count(*) FROM claim_lines GROUP BY status ORDER BY 2 DESC" | tr '\n' ' '; echo
echo "== approve (reconciled again against everything approved)"
START=$(date +%s.%N)
curl -sf -X POST "http://$HUB/v1/subsidy-claims/$BATCH/approve" -H "Authorization: Bearer $GOV_KEY" > /dev/null
END=$(date +%s.%N)
python3 -c "import sys; print(f'approved in {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$START" "$END"
