-- The earlier tracker's 4-column table (its Delta DDL, in SQLite's dialect). The store writes to it in
-- compat mode when UsageTracking:AllowSchemaUpgrade is false: errors become action '<type>: <message>'.
CREATE TABLE IF NOT EXISTS central_app_usage (
    timestamp TIMESTAMP,
    app_name  STRING,
    user      STRING,
    action    STRING
);
