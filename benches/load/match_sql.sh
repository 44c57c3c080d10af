#!/usr/bin/env bash
# Matching benchmark, part two (issue: financing products and matching): `credithub demo` with FIRMS firms
# (default 2,000, with their signals and profiles) on PostgreSQL, then every firm × a 1,000-product
# catalogue matched in memory and, in the same run, by one SQL query with the same eligibility
# (examples/match_vs_sql.rs). Part one, one firm × 1,000 products, is `cargo bench --bench matching`.
# A database `credithub_bench_match` is re-created at PG_URL.
#   benches/load/match_sql.sh
#   FIRMS=500 PRODUCTS=1000 benches/load/match_sql.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FIRMS="${FIRMS:-2000}"
PRODUCTS="${PRODUCTS:-1000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DB="credithub_bench_match"
export DATABASE_URL="${PG_URL%/*}/$BENCH_DB"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
unset REDIS_URL
cargo build --release -q --bin credithub --example match_vs_sql
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [ -z "${REUSE:-}" ]; then
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
  echo "== demo: $FIRMS firms with signals and profiles (PostgreSQL)"
  "$CARGO_TARGET_DIR/release/credithub" demo --firms "$FIRMS" --keys-file "$WORK/keys.env" | tail -1
fi
echo "== every firm x $PRODUCTS products: in memory, then one SQL query"
"$CARGO_TARGET_DIR/release/examples/match_vs_sql" "$PRODUCTS"
