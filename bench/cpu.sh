#!/usr/bin/env bash
# Where the CPU goes during one bounded load run (not run in CI):
#
#   bench/cpu.sh PSIRT sqlite|postgres REQUESTS [intake|reads] [perf]
#
# Starts PSIRT (a psirt binary) on a fresh database (SQLite in a temporary
# directory, or a new PostgreSQL database on 127.0.0.1:5432), takes 500
# reports to warm up, then runs REQUESTS reports (intake) or audited case
# reads (reads) with wrk, 16 connections, and prints the rate, how many
# cores were busy and idle, and the CPU (utime + stime) of the server and
# of every `postgres` process per request. With `perf`, it also records a
# 30 s profile of the server (perf.DB.WHAT.data in the current directory).
# Used for the figures in docs/performance.md; compare two binaries by
# running them back to back.
set -euo pipefail
PSIRT=$1; DB=$2; N=$3; WHAT=${4:-intake}; PERF=${5:-}
BENCH=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/prof.XXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
if [ "$DB" = sqlite ]; then url="sqlite://$W/psirt.db"; else
  dbn=prof_$$; psql -q postgres://postgres@127.0.0.1:5432/postgres -c "CREATE DATABASE $dbn" >/dev/null
  url=postgres://postgres@127.0.0.1:5432/$dbn; fi
echo "reports_per_email_per_day = 4000000000" >"$W/psirt.toml"
export PSIRT_DATABASE_URL=$url PSIRT_LISTEN=127.0.0.1:$port PSIRT_INTAKE_PER_MINUTE=4000000000 PSIRT_CONFIG=$W/psirt.toml PSIRT_LOG=warn
token=$("$PSIRT" user add --email alice@example.org --name Alice --role pst)
"$PSIRT" serve >>"$W/server.log" 2>&1 & SP=$!
trap 'kill $SP 2>/dev/null; wait $SP 2>/dev/null; [ "$DB" = postgres ] && psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS $dbn WITH (FORCE)" >/dev/null; rm -rf $W' EXIT
for _ in $(seq 1 100); do curl -fsS $base/healthz >/dev/null 2>&1 && break; sleep 0.1; done
printf '{"summary": "Cache poisoning via EDNS", "details": "%s", "reporter_email": "rep@example.net"}' "$(printf 'x%.0s' $(seq 1 300))" >"$W/report.json"
ref=$(curl -fsS -X POST "$base/api/v1/reports" -H 'Content-Type: application/json' --data-binary @"$W/report.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["reference"])')
# warm up
wrk -t 1 -c 16 -d 60s -s $BENCH/count.lua "$base/api/v1/reports" -- 500 POST "$W/report.json" >/dev/null
cpu() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat; }
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
pgt() { local t=0; for p in $(pgrep -u postgres postgres); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
read b0 i0 < <(cpu); s0=$(ticks $SP); p0=$(pgt)
if [ -n "$PERF" ]; then perf record -F 999 -g -p $SP -o perf.$DB.$WHAT.data -- sleep 30 >/dev/null 2>&1 & PP=$!; fi
if [ "$WHAT" = intake ]; then out=$(wrk -t 1 -c 16 -d 120s --latency -s $BENCH/count.lua "$base/api/v1/reports" -- "$N" POST "$W/report.json")
else out=$(wrk -t 1 -c 16 -d 120s --latency -s $BENCH/count.lua "$base/api/v1/cases/$ref" -- "$N" GET - "Authorization=Bearer $token"); fi
read b1 i1 < <(cpu); s1=$(ticks $SP); p1=$(pgt)
[ -n "$PERF" ] && wait $PP || true
res=$(grep ^RESULT <<<"$out")
req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$res"); dur=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<<"$res")
python3 - "$req" "$dur" "$b0" "$b1" "$i0" "$i1" "$s0" "$s1" "$p0" "$p1" <<'PY'
import sys
req,dur,b0,b1,i0,i1,s0,s1,p0,p1=map(int,sys.argv[1:])
hz=100; sec=dur/1e6
print(f"rate {req/sec:.0f}/s  busy {(b1-b0)/hz/sec:.2f} cores  idle {(i1-i0)/hz/sec:.2f} cores  server {(s1-s0)/hz/sec:.2f}  pg {(p1-p0)/hz/sec:.2f}  server ms/req {(s1-s0)*10/req:.3f}  pg ms/req {(p1-p0)*10/req:.3f}")
PY
echo "$res"
