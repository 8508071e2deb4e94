-- The SQL editing funnel over the last 30 days: sessions reaching each step.
SELECT step, action, COUNT(DISTINCT session_id) AS sessions
FROM (
    SELECT 1 AS step, 'generate_question' AS action UNION ALL
    SELECT 2, 'sql_query' UNION ALL
    SELECT 3, 'edit_sql' UNION ALL
    SELECT 4, 'execute_sql' UNION ALL
    SELECT 5, 'download_results'
) AS steps
LEFT JOIN central_app_usage AS u USING (action)
WHERE u.app_name = :app_name
  AND u."timestamp" >= date('now', '-30 days')
  AND u.session_id IS NOT NULL
GROUP BY step, action
ORDER BY step;
