-- Adds the extended columns and indexes to a 4-column seed table; existing rows keep NULL in them.
-- The store does the same at start when UsageTracking:AllowSchemaUpgrade is true (the default).
ALTER TABLE "central_app_usage"
    ADD COLUMN IF NOT EXISTS event_id text,
    ADD COLUMN IF NOT EXISTS session_id text,
    ADD COLUMN IF NOT EXISTS detail text,
    ADD COLUMN IF NOT EXISTS duration_ms double precision,
    ADD COLUMN IF NOT EXISTS model text,
    ADD COLUMN IF NOT EXISTS input_tokens bigint,
    ADD COLUMN IF NOT EXISTS output_tokens bigint,
    ADD COLUMN IF NOT EXISTS cost_usd numeric,
    ADD COLUMN IF NOT EXISTS properties jsonb,
    ADD COLUMN IF NOT EXISTS is_error boolean;
CREATE UNIQUE INDEX IF NOT EXISTS "ux_central_app_usage_event_id" ON "central_app_usage" (event_id);
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_app_time" ON "central_app_usage" (app_name, "timestamp");
-- Only chat messages: the rollups recount a conversation a deletion cut from its rows, found through it.
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_conversation_messages" ON "central_app_usage" (session_id, "timestamp")
    WHERE action IN ('new_conversation', 'new_reply');
