#!/usr/bin/env bash
# Profile recompute benchmark (issue: credit profiles): FIRMS firms (default 100,000) × 36 months of
# signals (10 monthly kinds as the tax, social-insurance and utility feeds send them, plus a yearly tax
# grade: ~363 current rows per firm), then `credithub recompute --all` on SQLite and on PostgreSQL, timed.
# The signals are generated with SQL straight into the tables (loading 36 M rows through ingestion is
# the ingest benchmark's job, not this one's). Needs PostgreSQL at PG_URL (a database
# `credithub_bench_profiles` is dropped and re-created there); BACKENDS=pg or =sqlite runs one.
#   benches/load/recompute_100k.sh
#   FIRMS=10000 BACKENDS=pg benches/load/recompute_100k.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FIRMS="${FIRMS:-100000}"
BACKENDS="${BACKENDS:-sqlite pg}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_profiles"
PG_BENCH_URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"

cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/credithub"
WORK="${WORK:-$(mktemp -d)}"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export RUST_LOG=warn

# 36 months ending with the last complete month (China Standard Time).
LAST=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -1 month" +%Y-%m-01)
FIRST=$(date -d "$LAST -35 months" +%Y-%m-01)
YEAR=$(date -d "$LAST" +%Y)
echo "== $FIRMS firms, months ${FIRST%-01} .. ${LAST%-01}"

# kind, source, money (1) or count/quantity (0), modulus of the generated value
KINDS="('tax_paid','tax',1,2000000),('invoiced_revenue','tax',1,90000000),('tax_arrears','tax',1,3),
('insured_headcount','social_insurance',0,80),('contributions_paid','social_insurance',1,5000000),
('si_arrears_months','social_insurance',0,2),('electricity_kwh','utility',0,90000),('water_m3','utility',0,900),
('utility_billed','utility',1,8000000),('utility_days_late','utility',0,4)"

for backend in $BACKENDS; do
  if [ "$backend" = sqlite ]; then
    URL="$WORK/bench.db"
    echo "== SQLite: registering firms"
    "$BIN" --database-url "$URL" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" >/dev/null
    echo "== SQLite: generating signals"
    s=$(date +%s)
    sqlite3 "$URL" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;
INSERT INTO ingestion_runs (id, source, origin, status, started_at, finished_at)
  VALUES ('bench', 'tax', 'import', 'completed', datetime('now'), datetime('now'));
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 35),
k(kind, source, money, modulus) AS (VALUES $KINDS)
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_fen, value_num, run_id, ingested_at)
SELECT f.uscc, k.source, k.kind, strftime('%Y-%m', date('$FIRST', '+' || m.i || ' months')), '', 1,
  CASE WHEN k.money = 1 THEN abs(random()) % k.modulus END,
  CASE WHEN k.money = 0 THEN CAST(abs(random()) % k.modulus AS TEXT) END, 'bench', datetime('now')
FROM firms f, k, m ORDER BY f.uscc, k.source, k.kind, m.i;
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_code, run_id, ingested_at)
SELECT f.uscc, 'tax', 'tax_grade', CAST(y.y AS TEXT), '', 1, substr('ABBBM', 1 + abs(random()) % 5, 1), 'bench', datetime('now')
FROM firms f, (SELECT $YEAR - 2 AS y UNION ALL SELECT $YEAR - 1 UNION ALL SELECT $YEAR) y ORDER BY f.uscc, y.y;
SQL
  else
    URL="$PG_BENCH_URL"
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
    echo "== PostgreSQL: registering firms"
    "$BIN" --database-url "$URL" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" >/dev/null
    echo "== PostgreSQL: generating signals"
    s=$(date +%s)
    psql "$URL" -q <<SQL
SET synchronous_commit = off;
INSERT INTO ingestion_runs (id, source, origin, status, started_at, finished_at)
  VALUES ('bench', 'tax', 'import', 'completed', now(), now());
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_fen, value_num, run_id, ingested_at)
SELECT f.uscc, k.source, k.kind, to_char(date '$FIRST' + make_interval(months => m.i), 'YYYY-MM'), '', 1,
  CASE WHEN k.money = 1 THEN (random() * k.modulus)::bigint END,
  CASE WHEN k.money = 0 THEN floor(random() * k.modulus)::bigint::text END, 'bench', now()
FROM firms f CROSS JOIN (VALUES $KINDS) k(kind, source, money, modulus) CROSS JOIN generate_series(0, 35) m(i);
INSERT INTO signals (uscc, source, kind, period, event_key, version, value_code, run_id, ingested_at)
SELECT f.uscc, 'tax', 'tax_grade', y::text, '', 1, substr('ABBBM', 1 + floor(random() * 5)::int, 1), 'bench', now()
FROM firms f CROSS JOIN generate_series($YEAR - 2, $YEAR) y;
VACUUM ANALYZE signals;
SQL
  fi
  echo "   $(( $(date +%s) - s )) s"
  echo "== $backend: credithub recompute --all"
  s=$(date +%s.%N)
  "$BIN" --database-url "$URL" recompute --all 2>&1 | tail -1
  e=$(date +%s.%N)
  python3 -c "print(f'$backend: whole run {$e-$s:.1f} s, {$FIRMS/($e-$s):,.0f} firms/s')"
  echo "== $backend: again (nothing changed)"
  "$BIN" --database-url "$URL" recompute --all 2>&1 | tail -1
  if [ "$backend" = sqlite ] && [ -z "${KEEP:-}" ]; then rm -f "$WORK"/bench.db*; fi
done
