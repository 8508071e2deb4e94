-- The earlier tracker's table, as its documentation created it. The store writes to it in compat mode
-- (UsageTracking:AllowSchemaUpgrade=false): only these 4 columns, errors as action '<type>: <message>'.
CREATE TABLE IF NOT EXISTS central_app_usage (
  timestamp TIMESTAMP,
  app_name STRING,
  user STRING,
  action STRING
)
USING DELTA;
