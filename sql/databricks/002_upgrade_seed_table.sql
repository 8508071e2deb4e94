-- Adds the extended columns to a 4-column seed table; existing rows keep NULL in them.
-- The store does the same at start when UsageTracking:AllowSchemaUpgrade is true (the default).
-- An ALTER fails concurrent writes: run it when no tracker is writing, or let the store do it once.
ALTER TABLE central_app_usage ADD COLUMNS (
  event_id STRING, session_id STRING, detail STRING, duration_ms DOUBLE, model STRING,
  input_tokens BIGINT, output_tokens BIGINT, cost_usd DECIMAL(18,6), properties STRING, is_error BOOLEAN);
