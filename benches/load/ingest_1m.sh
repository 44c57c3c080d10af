#!/usr/bin/env bash
# Ingestion benchmark (issue: credit signals): ingest ROWS signal rows from one CSV file with
# `credithub ingest` on SQLite and on PostgreSQL, and `psql \copy` the same rows into a bare table and, as
# stored, into a table equivalent to `signals`, in one run. Prints rows/s for each. Needs PostgreSQL at PG_URL (a database `credithub_bench`
# is dropped and re-created there).
#   benches/load/ingest_1m.sh            # 1,000,000 rows
#   ROWS=200000 benches/load/ingest_1m.sh
#   WITHOUT_STATS_INDEX=1 benches/load/ingest_1m.sh   # drop the statistics index first (what it costs)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${ROWS:-1000000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench"
PG_BENCH_URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"

cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/credithub"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# 36 months × 3 tax kinds per firm.
FIRMS=$(( (ROWS + 107) / 108 ))
echo "== registering $FIRMS demo firms on both backends"
"$BIN" --database-url "$WORK/bench.db" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" >/dev/null
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
"$BIN" --database-url "$PG_BENCH_URL" demo --firms "$FIRMS" --skip-signals --keys-file "$WORK/keys.env" >/dev/null
if [ -n "${WITHOUT_STATS_INDEX:-}" ]; then
  echo "== without the statistics index (signals_statistics_idx)"
  sqlite3 "$WORK/bench.db" "DROP INDEX signals_statistics_idx"
  psql "$PG_BENCH_URL" -qc "DROP INDEX signals_statistics_idx"
fi

echo "== writing $ROWS rows"
python3 - "$WORK/bench.db" "$ROWS" > rows.csv <<'PY'
import sqlite3, sys, random
db, rows = sys.argv[1], int(sys.argv[2])
usccs = [r[0] for r in sqlite3.connect(db).execute("SELECT uscc FROM firms ORDER BY uscc")]
random.seed(7)
print("uscc,kind,period,value")
n = 0
for u in usccs:
    for m in range(36):
        y, mo = 2023 + (m + 10) // 12, (m + 10) % 12 + 1
        for kind in ("tax_paid", "invoiced_revenue", "tax_arrears"):
            if n == rows:
                sys.exit(0)
            print(f"{u},{kind},{y:04d}-{mo:02d},{random.randint(0, 10**9) / 100:.2f}")
            n += 1
PY
echo "$(($(wc -l < rows.csv) - 1)) rows, $(du -h rows.csv | cut -f1)"

rate() { python3 -c "print(f'{$1/$2:,.0f} rows/s')"; }
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print(f'{$e-$s:.2f}')"; }

echo "== credithub ingest, SQLite"
T_SQLITE=$(timed "$BIN" --database-url "$WORK/bench.db" ingest --source tax rows.csv)
echo "$T_SQLITE s, $(rate "$ROWS" "$T_SQLITE")"
echo "== credithub ingest, PostgreSQL"
T_PG=$(timed "$BIN" --database-url "$PG_BENCH_URL" ingest --source tax rows.csv)
echo "$T_PG s, $(rate "$ROWS" "$T_PG")"
echo "== credithub ingest again (every row a duplicate), PostgreSQL"
T_PG2=$(timed "$BIN" --database-url "$PG_BENCH_URL" ingest --source tax rows.csv)
echo "$T_PG2 s, $(rate "$ROWS" "$T_PG2")"
echo "== psql \\copy of the same file into a bare 4-column table (no key, no index)"
psql "$PG_BENCH_URL" -qc "CREATE TABLE bench_copy (uscc TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL, value NUMERIC(18,2) NOT NULL)"
T_COPY=$(timed psql "$PG_BENCH_URL" -qc "\\copy bench_copy FROM 'rows.csv' CSV HEADER")
echo "$T_COPY s, $(rate "$ROWS" "$T_COPY")"
echo "== psql \\copy of the same rows, as stored, into a table equivalent to signals (its columns, key and index)"
psql "$PG_BENCH_URL" -qc "\\copy (SELECT * FROM signals WHERE version = 1) TO 'stored.csv' CSV" \
  -c "CREATE TABLE bench_signals (LIKE signals INCLUDING ALL)"
T_EQUIV=$(timed psql "$PG_BENCH_URL" -qc "\\copy bench_signals FROM 'stored.csv' CSV")
echo "$T_EQUIV s, $(rate "$ROWS" "$T_EQUIV")"
python3 -c "print(f'credithub on PostgreSQL / psql \\\\copy, bare table       = {$T_COPY/$T_PG:.2f}')"
python3 -c "print(f'credithub on PostgreSQL / psql \\\\copy, equivalent table = {$T_EQUIV/$T_PG:.2f}')"
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
