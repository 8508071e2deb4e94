-- Errors of the last day by kind. Matches both 'sql_error' (extended rows) and the seed's 'sql_error: <message>'.
SELECT action, COUNT(*) AS error_count
FROM central_app_usage
WHERE app_name = :'app_name'
  AND action LIKE '%\_error%'
  AND "timestamp" >= CURRENT_DATE - INTERVAL '1 day'
GROUP BY action
ORDER BY error_count DESC;
