-- Errors of the last day (the seed's query). Matches 'sql_error' and the seed's 'sql_error: <message>'.
SELECT action, COUNT(*) AS error_count
FROM central_app_usage
WHERE app_name = :app_name
  AND action LIKE '%\\_error%'
  AND timestamp >= date_sub(current_date(), 1)
GROUP BY action
ORDER BY error_count DESC;
