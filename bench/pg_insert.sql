-- pgbench transaction for bench/load.sh: one durable INSERT per transaction
-- (synchronous_commit is on) into a table shaped like psirt's case_events.
INSERT INTO raw_events (at, kind, actor, payload)
VALUES (extract(epoch FROM now())::bigint, 'reported', 'anonymous',
        '{"type":"reported","summary":"Cache poisoning via EDNS","details":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}');
