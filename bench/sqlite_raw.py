#!/usr/bin/env python3
"""The raw durable insert rate of SQLite on this disk: one INSERT and one
COMMIT per transaction, WAL with synchronous=FULL (the pragmas psirt's
store sets), into a table shaped like psirt's case_events. Prints one
RESULT line like bench/count.lua's, for bench/load.sh.

usage: sqlite_raw.py DB_PATH COUNT
"""
import sqlite3
import sys
import time

path, count = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute(
    "CREATE TABLE IF NOT EXISTS raw_events (id INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL,"
    " kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)"
)
payload = '{"type":"reported","summary":"Cache poisoning via EDNS","details":"' + "x" * 300 + '"}'
latencies = []
start = time.perf_counter()
for _ in range(count):
    t = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "INSERT INTO raw_events (at, kind, actor, payload) VALUES (?, 'reported', 'anonymous', ?)",
        (int(time.time()), payload),
    )
    db.execute("COMMIT")
    latencies.append(time.perf_counter() - t)
elapsed = time.perf_counter() - start
latencies.sort()
pct = lambda p: int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6)
print(
    f"RESULT requests={count} duration_us={int(elapsed * 1e6)} p50_us={pct(50)} p99_us={pct(99)}"
    f" max_us={int(latencies[-1] * 1e6)} non2xx=0 errors=0"
)
