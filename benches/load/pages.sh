#!/usr/bin/env bash
# Load benchmark (issue 16): the firm's overview (`/`) and offers (`/firm/offers`) pages with SESSIONS
# signed-in firms at once, each request with the next session in turn (every request: the session read
# from the database, the inbox brought up to date, the page's reads through service/ and rendered).
# The embedded default (SQLite file, in-process cache); DATABASE_URL=postgres://… (a database
# `credithub_bench_pages` is re-created there) and REDIS_URL for PostgreSQL + Redis. Also prints the
# page weight (HTML + CSS; the pages have no JavaScript). Needs wrk (apt-get install wrk).
#   benches/load/pages.sh
#   SESSIONS=50 DURATION=30s FIRMS=200 benches/load/pages.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SESSIONS="${SESSIONS:-50}"
DURATION="${DURATION:-20s}"
FIRMS="${FIRMS:-200}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
export RUST_LOG=warn
HUB=127.0.0.1:18090
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q --bin credithub
BIN="${BIN:-$CARGO_TARGET_DIR/release/credithub}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS credithub_bench_pages" -c "CREATE DATABASE credithub_bench_pages"
  export DATABASE_URL="${DATABASE_URL%/*}/credithub_bench_pages"
  export CREDITHUB_CACHE_NAMESPACE="bench-pages-$$"
  BACKEND="PostgreSQL${REDIS_URL:+ + Redis}"
else
  export DATABASE_URL="$WORK/credithub.db"
  unset REDIS_URL
  BACKEND="SQLite, in-process cache"
fi
echo "== demo: $FIRMS firms ($BACKEND)"
"$BIN" demo --firms "$FIRMS" --keys-file "$WORK/keys.env" | tail -1
# shellcheck disable=SC1091
source "$WORK/keys.env"
"$BIN" serve --bind "$HUB" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$HUB/readyz" >/dev/null && break; sleep 0.2; done

echo "== $SESSIONS owners: created with the CLI, activated through their links, signed in"
python3 - "$HUB" "$BIN" "$SESSIONS" "$WORK/cookies.txt" <<'PY'
import http.cookiejar, json, re, subprocess, sys, urllib.parse, urllib.request, os
hub, binary, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def call(path, key):
    req = urllib.request.Request(f"http://{hub}{path}", headers={"Authorization": f"Bearer {key}"})
    return json.load(urllib.request.urlopen(req))
firms, cursor = [], None
while len(firms) < n:
    page = call("/v1/firms?limit=200" + (f"&cursor={cursor}" if cursor else ""), os.environ["GOV_KEY"])
    firms += [f["uscc"] for f in page["items"]]
    cursor = page.get("next_cursor")
    if not cursor:
        break
assert len(firms) >= n, f"only {len(firms)} firms"
password = "Load-test-2026"
lines = []
for i, uscc in enumerate(firms[:n]):
    login = f"load.{uscc.lower()}"
    made = subprocess.run([binary, "users", "create", "--firm", uscc, "--login", login, "--name", f"负责人{i}",
                           "--base-url", f"http://{hub}"], capture_output=True, text=True)
    if made.returncode != 0:  # a second run: the account exists; a new link
        made = subprocess.run([binary, "users", "reset", "--login", login, "--base-url", f"http://{hub}"],
                              capture_output=True, text=True, check=True)
    link = re.search(r"(http://\S+/activate/\S+)", made.stdout).group(1)
    jar = http.cookiejar.CookieJar()
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    form = web.open(link).read().decode()
    web.open(link, urllib.parse.urlencode({"password": password, "password_again": password, "csrf": csrf(form)}).encode())
    home = web.open(f"http://{hub}/").read().decode()
    web.open(f"http://{hub}/sign-in", urllib.parse.urlencode({"login": login, "password": password, "csrf": csrf(home)}).encode())
    session = [c.value for c in jar if c.name == "credithub_session"]
    assert session, f"{login} did not sign in"
    lines.append(f"credithub_session={session[0]}")
open(out, "w").write("\n".join(lines) + "\n")
print(f"{len(lines)} sessions")
PY
COOKIE=$(head -1 "$WORK/cookies.txt")
HTML=$(curl -s -H "Cookie: $COOKIE" "http://$HUB/" | wc -c)
OFFERS_HTML=$(curl -s -H "Cookie: $COOKIE" "http://$HUB/firm/offers?amount=500000&term_months=12" | wc -c)
CSS=$(curl -s "http://$HUB/assets/site.css" | wc -c)
echo "page weight: overview $HTML B HTML (with its SVG chart) + $CSS B CSS = $((HTML + CSS)) B; offers $OFFERS_HTML B HTML; no JavaScript"
export COOKIE_FILE="$WORK/cookies.txt"
# Two loads per page: every session clicking again the moment a page arrives (the ceiling: latency is
# then mostly queueing), and every session waiting THINK_MS (default 100 ms, ten pages a second a person,
# far more than people click) between pages.
THINK="${THINK:-100}"
for PAGE in "/" "/firm/offers?amount=500000&term_months=12"; do
  export PAGE THINK_MS=0
  wrk -t2 -c"$SESSIONS" -d5s -s benches/load/pages.lua "http://$HUB" >/dev/null
  echo "== $PAGE: $SESSIONS sessions back to back, $DURATION"
  wrk -t2 -c"$SESSIONS" -d"$DURATION" -s benches/load/pages.lua "http://$HUB" | grep -E "Requests/sec|p50|Socket"
  export THINK_MS="$THINK"
  echo "== $PAGE: $SESSIONS sessions, ${THINK} ms between pages, $DURATION"
  wrk -t2 -c"$SESSIONS" -d"$DURATION" -s benches/load/pages.lua "http://$HUB" | grep -E "Requests/sec|p50|Socket"
done
