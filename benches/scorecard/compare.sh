#!/usr/bin/env bash
# Issue 19's figures: credithub's scorecard fit next to scorecardpy's on the same train/test split, on the
# public German credit data (tests/data/german_credit.csv) and, when a hub database with outcomes is given
# (DATABASE_URL, e.g. after `credithub demo`), on the hub's own loan outcomes. Both are scored on the same
# test rows and measured with the same AUC / KS code (compare.py). scorecardpy is installed with pip into a
# venv (VENV, default target/bench-venv); nothing of it is kept in the repository.
#
#   benches/scorecard/compare.sh                  # German credit only
#   DATABASE_URL=sqlite://data/credithub.db benches/scorecard/compare.sh --hub
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENV=${VENV:-${CARGO_TARGET_DIR:-$ROOT/target}/bench-venv}
BIN=${CREDITHUB_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet --bin credithub
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/credithub
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet 'scorecardpy==0.1.9.7' 'pandas<3'  # scorecardpy 0.1.9.7 calls to_numeric(errors='ignore'), gone in pandas 3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A 70/30 split, the same rows for both tools (seeded).
split() {
  "$VENV/bin/python" - "$1" "$WORK/$2-train.csv" "$WORK/$2-test.csv" <<'PY'
import sys, pandas as pd
d = pd.read_csv(sys.argv[1])
test = d.sample(frac=0.3, random_state=2026)
d.drop(test.index).to_csv(sys.argv[2], index=False)
test.to_csv(sys.argv[3], index=False)
PY
}

run() { # label name target bad_value
  local label=$1 name=$2 target=$3 bad=$4
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" scorecard fit --data "$WORK/$name-train.csv" --test "$WORK/$name-test.csv" --target "$target" \
    --bad-value "$bad" --exclude loan_id,start_on --version "bench-$name" --out "$WORK/$name.toml" > "$WORK/$name-fit.log"
  t1=$(date +%s.%N)
  "$BIN" scorecard score --scorecard "$WORK/$name.toml" --data "$WORK/$name-test.csv" --out "$WORK/$name-scores.csv" > /dev/null
  "$VENV/bin/python" benches/scorecard/compare.py "$WORK/$name-train.csv" "$WORK/$name-test.csv" "$target" "$bad" \
    "$WORK/$name-scores.csv" "$(echo "$t1 - $t0" | bc)" "$label"
}

echo "| data | tool | fit seconds | test AUC | test KS |"
echo "|---|---|---:|---:|---:|"
split tests/data/german_credit.csv german
run "German credit (1,000 rows, 300 bad; 700 / 300 split)" german creditability bad
if [ "${1:-}" = "--hub" ]; then
  "$BIN" scorecard export --out "$WORK/hub.csv" > /dev/null
  split "$WORK/hub.csv" hub
  label="hub outcomes ($(($(wc -l < "$WORK/hub.csv") - 1)) loans)"
  run "$label" hub bad 1
  # The shipped expert card (not fitted) on the same test rows, for reference.
  "$BIN" scorecard score --scorecard src/domain/scorecards/expert-2026.1.toml --data "$WORK/hub-test.csv" \
    --out "$WORK/expert-scores.csv" > /dev/null
  "$VENV/bin/python" benches/scorecard/compare.py --score-only "$WORK/expert-scores.csv" bad 1 "$label" \
    "the shipped expert-2026.1 (judgement, not fitted)"
fi
