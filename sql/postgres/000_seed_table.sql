-- The earlier tracker's 4-column table in PostgreSQL's dialect ("user" is reserved, STRING is text).
-- The store writes to it in compat mode when UsageTracking:AllowSchemaUpgrade is false.
CREATE TABLE IF NOT EXISTS central_app_usage (
    "timestamp" timestamp,
    app_name    text,
    "user"      text,
    action      text
);
