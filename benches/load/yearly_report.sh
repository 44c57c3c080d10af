#!/usr/bin/env bash
# Yearly report benchmark (issue 18): FIRMS firms (default 100,000) × 36 months of signals (10 monthly
# kinds, as recompute_100k.sh generates them: ~36 M rows), LOANS loans (default 200,000) with a balance at
# every quarter end, AWARDS procurement awards (default 50,000) and RECEIVABLES receivables owed by
# government bodies (default 20,000) on PostgreSQL, then `credithub report yearly --year Y --out r.xlsx`
# timed (wall clock and peak memory), twice. The data is generated with SQL straight into the tables
# (ingestion has its own benchmark). Values that must differ per row are computed from the row's number
# (an uncorrelated LATERAL subquery runs once). Needs PostgreSQL at PG_URL (the database `credithub_bench_report` is
# dropped and re-created there).
#   benches/load/yearly_report.sh
#   FIRMS=10000 LOANS=20000 AWARDS=5000 benches/load/yearly_report.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FIRMS="${FIRMS:-100000}"
LOANS="${LOANS:-200000}"
AWARDS="${AWARDS:-50000}"
RECEIVABLES="${RECEIVABLES:-20000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_report"
URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"

cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/credithub"
WORK="${WORK:-$(mktemp -d)}"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=warn

LAST=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -1 month" +%Y-%m-01)
FIRST=$(date -d "$LAST -35 months" +%Y-%m-01)
YEAR=$(date -d "$LAST" +%Y)
KINDS="('tax_paid','tax',1,2000000),('invoiced_revenue','tax',1,90000000),('tax_arrears','tax',1,3),
('insured_headcount','social_insurance',0,80),('contributions_paid','social_insurance',1,5000000),
('si_arrears_months','social_insurance',0,2),('electricity_kwh','utility',0,90000),('water_m3','utility',0,900),
('utility_billed','utility',1,8000000),('utility_days_late','utility',0,4)"

psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
echo "== $FIRMS firms (demo registry, no signals), months ${FIRST%-01} .. ${LAST%-01}"
"$BIN" --database-url "$URL" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" >/dev/null
echo "== generating signals, $LOANS loans, $AWARDS awards, $RECEIVABLES receivables"
s=$(date +%s)
psql "$URL" -q <<SQL
SET synchronous_commit = off;
INSERT INTO ingestion_runs (id, source, origin, status, received, accepted, started_at, finished_at)
  VALUES ('bench', 'tax', 'import', 'completed', 1, 1, now(), now());
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_fen, value_num, run_id, ingested_at)
SELECT f.uscc, k.source, k.kind, to_char(date '$FIRST' + make_interval(months => m.i), 'YYYY-MM'), '', 1,
  CASE WHEN k.money = 1 THEN (random() * k.modulus)::bigint END,
  CASE WHEN k.money = 0 THEN floor(random() * k.modulus)::bigint::text END, 'bench', now()
FROM firms f CROSS JOIN (VALUES $KINDS) k(kind, source, money, modulus) CROSS JOIN generate_series(0, 35) m(i);
-- Procurement awards: 40 buyers, projects of 1-2 lots, to random registered suppliers.
WITH f AS (SELECT uscc, row_number() OVER (ORDER BY uscc) AS n FROM firms WHERE uscc LIKE '9%'),
c AS (SELECT count(*) AS n FROM f)
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_fen, value_num, value_code,
                     event_start, authority, record_id, run_id, ingested_at)
SELECT f.uscc, 'procurement', 'procurement_award', to_char(d, 'YYYY-MM'), 'P' || a.i, 1,
  (b * 0.9)::bigint, b::bigint::text, CASE WHEN random() < 0.4 THEN 'reserved' WHEN random() < 0.95 THEN 'open' END,
  d, '采购人' || (a.i % 40), 'P' || a.i, 'bench', now()
FROM generate_series(1, $AWARDS) a(i)
CROSS JOIN LATERAL (SELECT (date '$FIRST' + (a.i * 37) % 1060) AS d, (20000000 + (a.i::bigint * 7919) % 480000000) AS b) x
JOIN f ON f.n = 1 + (a.i * 7919) % (SELECT n FROM c);
-- Loans over the three years, with balances at every quarter end until maturity.
WITH f AS (SELECT uscc, size_class, row_number() OVER (ORDER BY uscc) AS n FROM firms),
c AS (SELECT count(*) AS n FROM f),
b AS (SELECT id FROM institutions WHERE kind = 'bank')
INSERT INTO loans (id, firm_uscc, institution_id, amount_fen, start_on, maturity_on, outstanding_fen, status,
                   created_at, kind, first_loan, credit_line_fen, size_class)
SELECT 'L' || l.i, f.uscc, (SELECT id FROM b ORDER BY id LIMIT 1 OFFSET (l.i % (SELECT count(*) FROM b))),
  a, s, s + (CASE WHEN l.i % 3 = 0 THEN 730 ELSE 365 END), a, 'outstanding', now(),
  (ARRAY['credit','guaranteed','collateral'])[1 + l.i % 3], l.i % 5 = 0, NULL, f.size_class
FROM generate_series(1, $LOANS) l(i)
CROSS JOIN LATERAL (SELECT 10000000 + (l.i::bigint * 7919) % 500000000 AS a, date '$FIRST' + (l.i * 37) % 1060 AS s) x
JOIN f ON f.n = 1 + (l.i::bigint * 104729) % (SELECT n FROM c);
INSERT INTO loan_balances (loan_id, as_of, outstanding_fen, reported_at)
SELECT l.id, q::date, (l.amount_fen * 0.8)::bigint, now()
FROM loans l CROSS JOIN LATERAL generate_series(date_trunc('quarter', l.start_on) + interval '3 months' - interval '1 day',
  l.maturity_on::timestamp, interval '3 months') q
WHERE q::date <= current_date AND l.id LIKE 'L%';
-- Receivables owed by government bodies (USCC code 1), due over the three years, two in three paid.
INSERT INTO firms (uscc, name, industry_code, industry_row, district, established_on, registered_capital_fen,
                   size_class, size_standard, created_at, updated_at)
SELECT '11310115MB000' || lpad(g::text, 4, '0') || 'X', '政府采购人' || g, 'S9121', 'other', 'pudong', date '2000-01-01', 0,
  'large', 'gb2011', now(), now()
FROM generate_series(1, 40) g ON CONFLICT DO NOTHING;
WITH f AS (SELECT uscc, row_number() OVER (ORDER BY uscc) AS n FROM firms WHERE uscc LIKE '9%'),
c AS (SELECT count(*) AS n FROM f)
INSERT INTO receivables (id, creditor_uscc, debtor_uscc, invoice_no, amount_fen, due_on, status, registered_at, decided_at)
SELECT 'R' || r.i, f.uscc, '11310115MB000' || lpad((1 + r.i % 40)::text, 4, '0') || 'X', 'INV' || r.i,
  (1000000 + random() * 90000000)::bigint, date '$FIRST' + (random() * 1060)::int, 'confirmed', now() - interval '3 years', now() - interval '3 years' + interval '20 hours'
FROM generate_series(1, $RECEIVABLES) r(i) JOIN f ON f.n = 1 + (r.i * 7919) % (SELECT n FROM c);
INSERT INTO receivable_payments (id, receivable_id, paid_on, amount_fen, recorded_by, recorded_at)
SELECT 'PAY' || r.id, r.id, r.due_on + (random() * 60 - 30)::int, r.amount_fen, 'creditor', now()
FROM receivables r WHERE random() < 0.67 AND r.due_on + 30 <= current_date;
VACUUM ANALYZE;
SQL
echo "   generated in $(( $(date +%s) - s )) s"
psql "$URL" -Atc "SELECT 'signals ' || count(*) FROM signals" -c "SELECT 'loans ' || count(*) FROM loans" \
  -c "SELECT 'balances ' || count(*) FROM loan_balances" -c "SELECT 'receivables ' || count(*) FROM receivables"
for run in 1 2; do
  /usr/bin/time -f "   run $run: %e s wall, %M KB peak" "$BIN" --database-url "$URL" report yearly --year "$YEAR" --out "$WORK/report.xlsx" 2>&1 | grep -v '^\s*$' | tail -2
done
ls -l "$WORK/report.xlsx" | awk '{print "   workbook " $5 " bytes"}'
