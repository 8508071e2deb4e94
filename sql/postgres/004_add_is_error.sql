-- Adds the error flag to a usage table created before it existed; existing rows keep NULL and count as errors by
-- the naming rule (action LIKE '%\_error%'). The store does the same at start when UsageTracking:AllowSchemaUpgrade is
-- true (the default), and replaces the first versions' daily rollup with the rollups it keeps now.
ALTER TABLE "central_app_usage" ADD COLUMN IF NOT EXISTS is_error boolean;
