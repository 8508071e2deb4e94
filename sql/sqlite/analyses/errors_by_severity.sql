-- Errors by type and severity (properties.severity: warning, error or critical; "unrated" for errors tracked without
-- one) over the last 7 days: how many, how many users met them, and the newest.
SELECT action AS error_type,
       COALESCE(json_extract(properties, '$.severity'), 'unrated') AS severity,
       COUNT(*) AS errors,
       COUNT(DISTINCT "user") AS users,
       MAX("timestamp") AS newest
FROM central_app_usage
WHERE app_name = :app_name AND "timestamp" >= date('now', '-7 days') AND COALESCE(is_error, action LIKE '%\_error%' ESCAPE '\')
GROUP BY error_type, severity
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, errors DESC, error_type;
