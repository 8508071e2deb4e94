-- SQL editing patterns over the last 7 days (the seed's query).
SELECT action, COUNT(*) AS count
FROM central_app_usage
WHERE app_name = :app_name
  AND action IN ('sql_query', 'edit_sql', 'execute_sql')
  AND timestamp >= date_sub(current_date(), 7)
GROUP BY action
ORDER BY count DESC;
