-- Adds the extended columns and indexes to a 4-column seed table; existing rows keep NULL in them.
-- The store does the same at start when UsageTracking:AllowSchemaUpgrade is true (the default).
ALTER TABLE central_app_usage ADD COLUMN event_id TEXT;
ALTER TABLE central_app_usage ADD COLUMN session_id TEXT;
ALTER TABLE central_app_usage ADD COLUMN detail TEXT;
ALTER TABLE central_app_usage ADD COLUMN duration_ms REAL;
ALTER TABLE central_app_usage ADD COLUMN model TEXT;
ALTER TABLE central_app_usage ADD COLUMN input_tokens INTEGER;
ALTER TABLE central_app_usage ADD COLUMN output_tokens INTEGER;
ALTER TABLE central_app_usage ADD COLUMN cost_usd REAL;
ALTER TABLE central_app_usage ADD COLUMN properties TEXT;
ALTER TABLE central_app_usage ADD COLUMN is_error INTEGER;
CREATE UNIQUE INDEX IF NOT EXISTS "ux_central_app_usage_event_id" ON "central_app_usage" (event_id);
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_app_time" ON "central_app_usage" (app_name, "timestamp");
-- Only chat messages: the rollups recount a conversation a deletion cut from its rows, found through it.
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_conversation_messages" ON "central_app_usage" (session_id, "timestamp")
    WHERE action IN ('new_conversation', 'new_reply');
