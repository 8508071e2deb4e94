-- Adds the error flag to a usage table created before it existed; existing rows keep NULL and count as errors by
-- the naming rule (action LIKE '%\\_error%'). The store does the same at start when UsageTracking:AllowSchemaUpgrade is true.
-- An ALTER fails concurrent writes: run it when no tracker is writing, or let the store do it once.
ALTER TABLE central_app_usage ADD COLUMNS (is_error BOOLEAN);
