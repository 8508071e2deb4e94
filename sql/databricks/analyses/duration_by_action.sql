-- Step durations by action over the last 7 days: count, average and p95 (extended columns).
SELECT action,
       COUNT(*) AS events,
       ROUND(AVG(duration_ms), 1) AS avg_ms,
       ROUND(percentile_approx(duration_ms, 0.95), 1) AS p95_ms
FROM central_app_usage
WHERE app_name = :app_name
  AND duration_ms IS NOT NULL
  AND timestamp >= date_sub(current_date(), 7)
GROUP BY action
ORDER BY p95_ms DESC;
