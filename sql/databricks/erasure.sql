-- Erasure of one user's rows (right to be forgotten) from the Delta table, for real.
-- `usage erase --user …` runs the DELETE through the store; on Delta that is a soft delete: the rows remain in data files,
-- and with deletion vectors in those too, until the files are rewritten and the old versions vacuumed.
-- Replace the user (as stored: for hashed users, the hash `usage erase` prints), then run the three statements in order.
DELETE FROM central_app_usage WHERE user = 'someone@example.com';

-- Rewrites the files that held deleted rows (deletion vectors included) without them.
REORG TABLE central_app_usage APPLY (PURGE);

-- Removes the old files once they are older than the retention threshold (7 days by default; lowering it needs
-- spark.databricks.delta.retentionDurationCheck.enabled = false and breaks time travel to those versions).
VACUUM central_app_usage;
