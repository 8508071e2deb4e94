-- The usage table as the PostgreSQL store creates it (UsageTracking.PostgreSql, EnsureSchema).
CREATE TABLE IF NOT EXISTS "central_app_usage" (
    "timestamp"   timestamptz NOT NULL,
    app_name      text NOT NULL,
    "user"        text NOT NULL,
    action        text NOT NULL,
    event_id      text,
    session_id    text,
    detail        text,
    duration_ms   double precision,
    model         text,
    input_tokens  bigint,
    output_tokens bigint,
    cost_usd      numeric,
    properties    jsonb,
    -- true for errors (TrackError, or an action named *_error); NULL on rows written before the column existed,
    -- which count as errors by the naming rule: COALESCE(is_error, action LIKE '%\_error%').
    is_error      boolean
);
-- The idempotency key: batches are written with INSERT ... ON CONFLICT (event_id) DO NOTHING.
CREATE UNIQUE INDEX IF NOT EXISTS "ux_central_app_usage_event_id" ON "central_app_usage" (event_id);
-- Stats and the analyses filter by app and time; the only other index, since each one costs every write.
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_app_time" ON "central_app_usage" (app_name, "timestamp");
-- Only chat messages: the rollups recount a conversation a deletion cut from its rows, found through it.
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_conversation_messages" ON "central_app_usage" (session_id, "timestamp")
    WHERE action IN ('new_conversation', 'new_reply');
