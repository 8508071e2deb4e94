-- Keeping the usage table fast. Every write is a Delta commit that adds files; with the store's large batches
-- (UsageTracking:BatchSize 10000, FlushInterval 30 s) there are few, but over months they add up.
-- On Unity Catalog managed tables, predictive optimization compacts and vacuums on its own: turn it on once.
ALTER TABLE central_app_usage ENABLE PREDICTIVE OPTIMIZATION;

-- Elsewhere, schedule these weekly (a SQL task in a Databricks job). The table is liquid-clustered on timestamp
-- (001_create_central_app_usage.sql), so OPTIMIZE also keeps time-range scans — stats, dashboards, the MERGE's
-- bounded ON — reading few files.
OPTIMIZE central_app_usage;
VACUUM central_app_usage;
