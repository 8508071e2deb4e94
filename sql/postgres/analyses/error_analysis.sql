-- Errors of the last day by kind: rows flagged is_error, and rows from before the flag existed by their name
-- (both 'sql_error' and the seed's 'sql_error: <message>').
SELECT action, COUNT(*) AS error_count
FROM central_app_usage
WHERE app_name = :'app_name'
  AND COALESCE(is_error, action LIKE '%\_error%')
  AND "timestamp" >= CURRENT_DATE - INTERVAL '1 day'
GROUP BY action
ORDER BY error_count DESC;
