-- The usage table as the Databricks store creates it. No identity column (it would serialise writers):
-- event_id is a client-generated UUIDv7, and the store's insert-only MERGE on it makes every write idempotent.
-- Liquid clustering on timestamp keeps time-range scans (stats, retention) cheap.
CREATE TABLE IF NOT EXISTS central_app_usage (
  timestamp TIMESTAMP, app_name STRING, user STRING, action STRING,
  event_id STRING, session_id STRING, detail STRING, duration_ms DOUBLE, model STRING,
  input_tokens BIGINT, output_tokens BIGINT, cost_usd DECIMAL(18,6), properties STRING, is_error BOOLEAN)
USING DELTA CLUSTER BY (timestamp);
