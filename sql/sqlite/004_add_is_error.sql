-- Adds the error flag to a usage table created before it existed; existing rows keep NULL and count as errors by
-- the naming rule (action LIKE '%\_error%'). The store does the same at start when UsageTracking:AllowSchemaUpgrade is
-- true (the default), and then recounts its rollups, which gained an errors column at the same time.
ALTER TABLE central_app_usage ADD COLUMN is_error INTEGER;
