-- How often generated SQL is edited and run, over the last 7 days.
SELECT action, COUNT(*) AS count
FROM central_app_usage
WHERE app_name = :'app_name'
  AND action IN ('sql_query', 'edit_sql', 'execute_sql')
  AND "timestamp" >= CURRENT_DATE - INTERVAL '7 days'
GROUP BY action
ORDER BY count DESC;
