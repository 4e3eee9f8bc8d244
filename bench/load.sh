#!/usr/bin/env bash
# Load benchmark of `psirt serve` on 127.0.0.1, on SQLite and on PostgreSQL
# (a fresh database each), with a bounded request count per measurement.
#
# For each database it measures, with wrk and bench/count.lua (which stops
# wrk after exactly BENCH_REQUESTS responses):
#   - intake: POST /api/v1/reports, against the raw durable insert rate of
#     the same database (one INSERT per transaction; SQLite: bench/sqlite_raw.py
#     with WAL + synchronous=FULL as psirt sets them; PostgreSQL: pgbench
#     with bench/pg_insert.sql at the same client count);
#   - case reads: GET /api/v1/cases/{reference} with an API token (each read
#     appends to the audit log, so it writes), against GET /healthz;
#   - the server's resident memory at BENCH_CASES cases: the database is
#     filled to BENCH_CASES reports through the API, the server restarted on
#     it; VmRSS idle (after start-up, before any load), then under load (case
#     reads, the case list's first page, /advisories, intake, BENCH_REQUESTS
#     each; their rates and latencies are reported too), VmHWM (peak) after.
# Prints Markdown tables and writes them to target/bench/load.md.
#
# Not run in CI. Knobs: BENCH_REQUESTS (per measurement, default 10000),
# BENCH_CONNECTIONS (default 16), BENCH_DATABASES
# ("sqlite postgres"), BENCH_POSTGRES (server URL without database,
# default postgres://postgres@127.0.0.1:5432), BENCH_CASES (default 100000;
# 0 skips the memory measure), BENCH_PSIRT (a psirt binary to measure
# instead of building this checkout's: how the figures before a change are
# taken).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench

REQUESTS=${BENCH_REQUESTS:-10000}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
DATABASES=${BENCH_DATABASES:-sqlite postgres}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
CASES=${BENCH_CASES:-100000}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian)" >&2
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
if [[ " $DATABASES " == *" postgres "* ]] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if [ -n "${BENCH_PSIRT:-}" ]; then
  PSIRT=$BENCH_PSIRT
else
  echo "building psirt (release)" >&2
  PSIRT=$(cargo build --release -p psirt --bin psirt --message-format=json-render-diagnostics | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "psirt":
        print(m["executable"])')
fi
[ -x "$PSIRT" ] || { echo "load.sh: could not find the psirt binary" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
PG_DBS=()
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
  for db in ${PG_DBS[@]+"${PG_DBS[@]}"}; do
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  PG_DBS=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# field NAME LINE: the value of NAME=… in a RESULT line.
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / (int(sys.argv[2]) / 1e6):.0f}')" "$(field requests "$1")" "$(field duration_us "$1")"; }
ms() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1000:.2f}')" "$(field "$2" "$1")"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
mem_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# load URL [METHOD BODY_FILE HEADER=VALUE...]: one bounded wrk run; prints
# its RESULT line (and fails the benchmark on errors or non-2xx answers).
load() {
  local url=$1; shift
  local out
  out=$(wrk -t 1 -c "$CONNECTIONS" -d 120s --latency -s "$BENCH/count.lua" "$url" -- "$REQUESTS" "$@")
  local result
  result=$(grep '^RESULT' <<<"$out")
  if [ "$(field non2xx "$result")" != 0 ] || [ "$(field errors "$result")" != 0 ]; then
    echo "load.sh: $url: $result" >&2
    return 1
  fi
  echo "$result"
}

ROWS=()
row() { ROWS+=("| $(IFS='|'; echo "$*" | sed 's/|/ | /g') |"); }

# start_server DIR BASE: `psirt serve` in the background (SERVER_PID),
# once /healthz answers and a second more has passed.
start_server() {
  "$PSIRT" serve >>"$1/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "$2/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$1/server.log" >&2; return 1; }
    sleep 0.1
  done
  sleep 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

bench_one() {
  local name=$1 url=$2 port dir base token ref
  dir="$WORK/$name"; mkdir -p "$dir"
  port=$(free_port)
  base=http://127.0.0.1:$port
  # The per-address quota (ten a day by default) out of the way: every
  # report here is from one address. A file: the setting has no variable.
  echo "reports_per_email_per_day = 4000000000" >"$dir/psirt.toml"
  export PSIRT_DATABASE_URL=$url PSIRT_LISTEN=127.0.0.1:$port PSIRT_INTAKE_PER_MINUTE=4000000000 \
    PSIRT_CONFIG=$dir/psirt.toml PSIRT_LOG=warn
  token=$("$PSIRT" user add --email alice@example.org --name Alice --role pst)
  start_server "$dir" "$base"
  local idle_rss
  idle_rss=$(mem_kb "$SERVER_PID" VmRSS)

  printf '{"summary": "Cache poisoning via EDNS", "details": "%s", "reporter_email": "rep@example.net"}' \
    "$(printf 'x%.0s' $(seq 1 300))" >"$dir/report.json"
  ref=$(curl -fsS -X POST "$base/api/v1/reports" -H 'Content-Type: application/json' --data-binary @"$dir/report.json" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["reference"])')

  echo "== $name: intake" >&2
  local intake raw reads health
  intake=$(load "$base/api/v1/reports" POST "$dir/report.json")
  echo "== $name: raw inserts" >&2
  if [ "$name" = sqlite ]; then
    raw=$(python3 "$BENCH/sqlite_raw.py" "$dir/raw.db" "$REQUESTS")
  else
    local rawdb=psirt_bench_raw_$$
    PG_DBS+=("$rawdb")
    psql -q "$PG/postgres" -c "CREATE DATABASE $rawdb" >/dev/null
    psql -q "$PG/$rawdb" -c "CREATE TABLE raw_events (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)" >/dev/null
    local per_client=$(( (REQUESTS + CONNECTIONS - 1) / CONNECTIONS ))
    (cd "$dir" && pgbench -n -c "$CONNECTIONS" -j 2 -t "$per_client" -l --log-prefix=pgb -f "$BENCH/pg_insert.sql" "$PG/$rawdb" >"$dir/pgbench.out" 2>&1)
    raw=$(cat "$dir"/pgb.* | python3 -c '
import sys
lat = sorted(int(line.split()[2]) for line in sys.stdin)
out = open(sys.argv[1]).read()
tps = float(out.split("tps = ")[1].split()[0])
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))]
print(f"RESULT requests={len(lat)} duration_us={int(len(lat) / tps * 1e6)} p50_us={pct(50)} p99_us={pct(99)} max_us={lat[-1]} non2xx=0 errors=0")' "$dir/pgbench.out")
  fi
  echo "== $name: case reads" >&2
  reads=$(load "$base/api/v1/cases/$ref" GET - "Authorization=Bearer $token")
  echo "== $name: /healthz" >&2
  health=$(load "$base/healthz")

  local peak rss_after
  peak=$(mem_kb "$SERVER_PID" VmHWM)
  rss_after=$(mem_kb "$SERVER_PID" VmRSS)
  MEM_ROWS+=("| $name | $((REQUESTS + 1)) | $((idle_rss / 1024)) | $((peak / 1024)) | $((rss_after / 1024)) | $(ratio "$peak" "$idle_rss") |")

  if [ "$CASES" -gt $((REQUESTS + 1)) ]; then
    echo "== $name: filling to $CASES cases" >&2
    local fill=$((CASES - REQUESTS - 1))
    # Only filling: a request that timed out (wrk gives up after 2 s) is
    # not a failure of the measure.
    wrk -t 1 -c "$CONNECTIONS" -d 3600s -s "$BENCH/count.lua" "$base/api/v1/reports" -- "$fill" POST "$dir/report.json" >/dev/null
    stop_server
    start_server "$dir" "$base"
    idle_rss=$(mem_kb "$SERVER_PID" VmRSS)
    echo "== $name: under load at $CASES cases" >&2
    local big_reads big_list big_adv big_intake
    big_reads=$(load "$base/api/v1/cases/$ref" GET - "Authorization=Bearer $token")
    big_list=$(load "$base/api/v1/cases" GET - "Authorization=Bearer $token")
    big_adv=$(load "$base/advisories")
    big_intake=$(load "$base/api/v1/reports" POST "$dir/report.json")
    peak=$(mem_kb "$SERVER_PID" VmHWM)
    rss_after=$(mem_kb "$SERVER_PID" VmRSS)
    MEM_ROWS+=("| $name | $CASES | $((idle_rss / 1024)) | $((peak / 1024)) | $((rss_after / 1024)) | $(ratio "$peak" "$idle_rss") |")
    for m in "case read GET /api/v1/cases/{ref}:$big_reads" "case list GET /api/v1/cases:$big_list" \
      "GET /advisories:$big_adv" "intake POST /api/v1/reports:$big_intake"; do
      BIG_ROWS+=("| $name | ${m%%:*} | $(rate "${m#*:}") | $(ms "${m#*:}" p50_us) | $(ms "${m#*:}" p99_us) |")
    done
  fi
  cleanup

  row "$name" "intake POST /api/v1/reports" "$(rate "$intake")" "$(ms "$intake" p50_us)" "$(ms "$intake" p99_us)" \
    "$(ratio "$(rate "$intake")" "$(rate "$raw")") of raw"
  row "$name" "raw insert, 1 per transaction" "$(rate "$raw")" "$(ms "$raw" p50_us)" "$(ms "$raw" p99_us)" "1.00"
  row "$name" "case read GET /api/v1/cases/{ref}" "$(rate "$reads")" "$(ms "$reads" p50_us)" "$(ms "$reads" p99_us)" \
    "$(ratio "$(rate "$reads")" "$(rate "$health")") of healthz"
  row "$name" "GET /healthz" "$(rate "$health")" "$(ms "$health" p50_us)" "$(ms "$health" p99_us)" "1.00"
  # As it goes, so that a later failure loses nothing measured.
  printf '%s\n' "${ROWS[@]}" "${MEM_ROWS[@]}" ${BIG_ROWS[@]+"${BIG_ROWS[@]}"} >&2
}

MEM_ROWS=()
BIG_ROWS=()
for db in $DATABASES; do
  case $db in
    sqlite) bench_one sqlite "sqlite://$WORK/sqlite/psirt.db" ;;
    postgres)
      dbname=psirt_bench_$$
      PG_DBS+=("$dbname")
      psql -q "$PG/postgres" -c "CREATE DATABASE $dbname" >/dev/null
      bench_one postgres "$PG/$dbname"
      ;;
    *) echo "load.sh: unknown database $db" >&2; exit 2 ;;
  esac
done

mkdir -p target/bench
{
  echo "psirt load benchmark: $REQUESTS requests per run, $CONNECTIONS connections (wrk -t 1, pgbench -j 2); $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); $("$PSIRT" --version 2>/dev/null || echo psirt) at ${BENCH_LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| database | measurement | req/s | p50 ms | p99 ms | ratio to baseline |"
  echo "|---|---|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "| database | cases | RSS idle MiB | VmHWM peak MiB | RSS after MiB | peak / idle |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${MEM_ROWS[@]}"
  if [ ${#BIG_ROWS[@]} -gt 0 ]; then
    echo
    echo "At $CASES cases (one project), the load under which the memory above was measured:"
    echo
    echo "| database | measurement | req/s | p50 ms | p99 ms |"
    echo "|---|---|---:|---:|---:|"
    printf '%s\n' "${BIG_ROWS[@]}"
  fi
} | tee target/bench/load.md
