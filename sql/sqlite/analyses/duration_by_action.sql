-- Step durations by action over the last 7 days: count, average and the slowest 5% threshold (p95).
WITH ranked AS (
    SELECT action, duration_ms,
           PERCENT_RANK() OVER (PARTITION BY action ORDER BY duration_ms) AS pr
    FROM central_app_usage
    WHERE app_name = :app_name
      AND duration_ms IS NOT NULL
      AND "timestamp" >= date('now', '-7 days')
)
SELECT action,
       COUNT(*) AS events,
       ROUND(AVG(duration_ms), 1) AS avg_ms,
       ROUND(MIN(CASE WHEN pr >= 0.95 THEN duration_ms END), 1) AS p95_ms
FROM ranked
GROUP BY action
ORDER BY p95_ms DESC;
