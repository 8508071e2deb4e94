-- Retention for the central usage table, as one scheduled Databricks job (a SQL task on the same warehouse),
-- instead of a DELETE from every app instance every few hours: the tracker does not run retention on this store.
-- Each app keeps its own number of days; edit the VALUES (and the default below), then schedule it daily.
MERGE INTO central_app_usage AS t
USING (VALUES ('query-app', 180), ('csbot', 365)) AS r(app_name, days)
ON t.app_name = r.app_name AND t.timestamp < current_timestamp() - make_interval(0, 0, 0, r.days, 0, 0, 0)
WHEN MATCHED THEN DELETE;

-- Apps not listed above: the default of 180 days.
DELETE FROM central_app_usage
WHERE app_name NOT IN ('query-app', 'csbot') AND timestamp < current_timestamp() - INTERVAL 180 DAYS;

-- A DELETE only marks rows as removed; the data stays in files until they are rewritten and vacuumed
-- (maintenance.sql; erasure.sql for one user's rows that must really be gone).
