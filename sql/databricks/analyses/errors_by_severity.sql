-- Errors by type and severity (properties.severity: warning, error or critical; "unrated" for errors tracked without
-- one) over the last 7 days: how many, how many users met them, and the newest.
SELECT action AS error_type,
       coalesce(get_json_object(properties, '$.severity'), 'unrated') AS severity,
       count(*) AS errors,
       count(DISTINCT user) AS users,
       max(timestamp) AS newest
FROM central_app_usage
WHERE app_name = :app_name AND timestamp >= current_timestamp() - INTERVAL 7 DAYS AND coalesce(is_error, action LIKE '%\\_error%')
GROUP BY 1, 2
ORDER BY CASE coalesce(get_json_object(properties, '$.severity'), 'unrated') WHEN 'critical' THEN 0 WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, errors DESC, error_type;
