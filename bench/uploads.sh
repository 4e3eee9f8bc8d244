#!/usr/bin/env bash
# Memory benchmark of `psirt serve` under concurrent large uploads, on
# 127.0.0.1 over a fresh SQLite database, with a bounded request count.
#
# Two runs, each on a fresh server:
#   - within quota: BENCH_UPLOADS (default 50) concurrent report-form posts
#     of 5 files x 10 MiB (50 MiB of files each), with the intake rate
#     limit out of the way; the in-flight body budget (body_memory_mib)
#     admits what fits and answers the rest 503 unread;
#   - over quota: the same posts from a client that has used its quota
#     (intake_per_minute = 1, one report first): every post is answered 429
#     before its body is read.
# For each run it reads the server's VmRSS when idle (after start-up and one
# small report, before the uploads) and VmHWM (the peak) after them, from
# /proc/PID/status, and prints them with their ratio to idle, against the
# target: peak < 2 x idle + one upload. Prints a Markdown table and writes
# it to target/bench/uploads.md.
#
# Not run in CI. Knobs: BENCH_UPLOADS (default 50), BENCH_PROFILE (cargo
# profile of the psirt binary: release (default) or dev), BENCH_BODY_MEMORY_MIB
# (default: psirt's own default), BENCH_PSIRT (a psirt binary to measure
# instead of building one, e.g. an older build to compare with).
set -euo pipefail
cd "$(dirname "$0")/.."

UPLOADS=${BENCH_UPLOADS:-50}
PROFILE=${BENCH_PROFILE:-release}
command -v curl >/dev/null || { echo "uploads.sh: needs curl" >&2; exit 1; }

if [ -n "${BENCH_PSIRT:-}" ]; then
  PSIRT=$BENCH_PSIRT
else
echo "building psirt ($PROFILE)" >&2
PSIRT=$(cargo build --profile "$PROFILE" -p psirt --bin psirt --message-format=json-render-diagnostics | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "psirt":
        print(m["executable"])')
fi
[ -x "$PSIRT" ] || { echo "uploads.sh: could not find the psirt binary" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
}
trap 'cleanup; rm -rf "$WORK"' EXIT

# Five files of 10 MiB each (the form's most), random so nothing compresses.
for i in 1 2 3 4 5; do head -c $((10 * 1024 * 1024)) /dev/urandom >"$WORK/file$i.bin"; done
UPLOAD_MIB=50

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$SERVER_PID/status"; }

# run NAME INTAKE_PER_MINUTE: one server, idle reading, the uploads, peak.
run() {
  local name=$1 quota=$2 port dir base
  dir="$WORK/$name"
  mkdir -p "$dir"
  port=$(free_port)
  base=http://127.0.0.1:$port
  (
    export PSIRT_DATABASE_URL="sqlite://$dir/psirt.db" PSIRT_LISTEN=127.0.0.1:$port \
      PSIRT_INTAKE_PER_MINUTE=$quota PSIRT_LOG=warn
    [ -n "${BENCH_BODY_MEMORY_MIB:-}" ] && export PSIRT_BODY_MEMORY_MIB=$BENCH_BODY_MEMORY_MIB
    exec "$PSIRT" serve
  ) >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "uploads.sh: psirt serve exited:" >&2; cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  # One small report: the code paths are warm, and the over-quota run's
  # client has used its quota.
  curl -fsS -o /dev/null -X POST "$base/api/v1/reports" -H 'Content-Type: application/json' \
    -d '{"summary": "Warm-up", "details": "steps"}'
  sleep 1
  local idle
  idle=$(kib VmRSS)
  local pids=()
  for i in $(seq 1 "$UPLOADS"); do
    curl -sS -o /dev/null -w '%{http_code}\n' --max-time 600 -X POST "$base/report" \
      -F summary="Upload $i" -F location="Crash in the parser" \
      -F attachments=@"$WORK/file1.bin" -F attachments=@"$WORK/file2.bin" \
      -F attachments=@"$WORK/file3.bin" -F attachments=@"$WORK/file4.bin" \
      -F attachments=@"$WORK/file5.bin" >"$dir/status.$i" 2>/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  local peak statuses
  peak=$(kib VmHWM)
  statuses=$(cat "$dir"/status.* | sort | uniq -c | awk '{ printf "%s x %s, ", $1, $2 }' | sed 's/, $//')
  cleanup
  python3 - "$name" "$idle" "$peak" "$UPLOAD_MIB" "$statuses" <<'EOF' >>"$WORK/rows.md"
import sys
name, idle, peak, upload, statuses = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
target = 2 * idle + upload * 1024
print(f"| {name} | {idle / 1024:.0f} MiB | {peak / 1024:.0f} MiB | {peak / idle:.2f} x idle | {target / idle:.2f} x idle ({target / 1024:.0f} MiB) | {'yes' if peak < target else 'NO'} | {statuses} |")
EOF
}

run "within quota" 1000000
run "over quota" 1

mkdir -p target/bench
{
  echo "$UPLOADS concurrent report-form posts of ${UPLOAD_MIB} MiB of files each ($PSIRT, SQLite, 127.0.0.1)."
  echo
  echo "| run | idle VmRSS | peak VmHWM | peak / idle | target: 2 x idle + one upload | under target | answers |"
  echo "|---|---|---|---|---|---|---|"
  cat "$WORK/rows.md"
} | tee target/bench/uploads.md
