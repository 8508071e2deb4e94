-- The usage table as the SQLite store creates it (UsageTracking.Sqlite, EnsureSchema).
-- timestamp is UTC text 'YYYY-MM-DD HH:MM:SS.fff': it sorts in time order and works with date()/strftime().
CREATE TABLE IF NOT EXISTS "central_app_usage" (
    "timestamp"   TEXT NOT NULL,
    app_name      TEXT NOT NULL,
    "user"        TEXT NOT NULL,
    action        TEXT NOT NULL,
    event_id      TEXT,
    session_id    TEXT,
    detail        TEXT,
    duration_ms   REAL,
    model         TEXT,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cost_usd      REAL,
    properties    TEXT,
    -- 1 for errors (TrackError, or an action named *_error); NULL on rows written before the column existed,
    -- which count as errors by the naming rule: COALESCE(is_error, action LIKE '%\_error%' ESCAPE '\').
    is_error      INTEGER
);
-- The idempotency key: a retried or replayed event is written once (INSERT ... ON CONFLICT (event_id) DO NOTHING).
CREATE UNIQUE INDEX IF NOT EXISTS "ux_central_app_usage_event_id" ON "central_app_usage" (event_id);
-- Stats and the example analyses filter by app and time. Deliberately the only other index:
-- each index costs a b-tree insert per row (see docs/benchmarks.md).
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_app_time" ON "central_app_usage" (app_name, "timestamp");
-- Only chat messages: the rollups recount a conversation a deletion cut from its rows, found through it.
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_conversation_messages" ON "central_app_usage" (session_id, "timestamp")
    WHERE action IN ('new_conversation', 'new_reply');
