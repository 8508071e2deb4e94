-- The SQL editing funnel over the last 30 days: sessions reaching each step (extended columns).
SELECT s.step, s.action, COUNT(DISTINCT u.session_id) AS sessions
FROM VALUES (1, 'generate_question'), (2, 'sql_query'), (3, 'edit_sql'), (4, 'execute_sql'), (5, 'download_results') AS s(step, action)
JOIN central_app_usage AS u ON u.action = s.action
WHERE u.app_name = :app_name
  AND u.timestamp >= date_sub(current_date(), 30)
  AND u.session_id IS NOT NULL
GROUP BY s.step, s.action
ORDER BY s.step;
