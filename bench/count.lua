-- wrk script: a bounded request count (`wrk -t 1 ... -- COUNT [METHOD
-- BODY_FILE|- [HEADER=VALUE...]]`), and one machine-readable RESULT line
-- for bench/load.sh.
--
-- wrk itself only knows durations: its main thread sleeps for `-d` and
-- then stops the workers. So once COUNT responses have arrived, the worker
-- stops and sends SIGINT to the main thread (tid = pid), whose handler ends
-- that sleep early, exactly as Ctrl-C does; `-d` is then only a safety cap,
-- and wrk's own duration and rate are those of the COUNT requests. Use one
-- wrk thread: with several, the first one to finish would end the run.
local ffi = require("ffi")
ffi.cdef [[
int getpid(void);
long syscall(long number, ...);
]]
local SYS_tgkill, SIGINT = 234, 2 -- x86_64
local limit, seen = 0, 0

function init(args)
  limit = tonumber(args[1]) or 1000
  if args[2] then wrk.method = args[2] end
  if args[3] and args[3] ~= "-" then
    local f = assert(io.open(args[3], "rb"))
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = "application/json"
  end
  for i = 4, #args do
    local k, v = args[i]:match("^([^=]+)=(.*)$")
    if k then wrk.headers[k] = v end
  end
end

function response(status, headers, body)
  seen = seen + 1
  if seen == limit then
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.syscall(SYS_tgkill, ffi.cast("long", pid), ffi.cast("long", pid), ffi.cast("long", SIGINT))
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
