-- Step durations by action over the last 7 days: count, average and p95.
SELECT action,
       COUNT(*) AS events,
       ROUND(AVG(duration_ms)::numeric, 1) AS avg_ms,
       ROUND((percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms))::numeric, 1) AS p95_ms
FROM central_app_usage
WHERE app_name = :'app_name'
  AND duration_ms IS NOT NULL
  AND "timestamp" >= CURRENT_DATE - INTERVAL '7 days'
GROUP BY action
ORDER BY p95_ms DESC;
