-- Model calls by model over the last 30 days: how many, their latency (duration_ms, from
-- TrackTokenUsage(..., durationMs)) as mean and p95, output tokens per second of call time, and the time to first
-- token (properties.ttft_ms, from TokenUsageExtras.TimeToFirstTokenMs) as median and p95. Null where calls carried none.
SELECT model,
       count(*) AS calls,
       round(avg(duration_ms), 1) AS mean_latency_ms,
       round(percentile_approx(duration_ms, 0.95), 1) AS p95_latency_ms,
       round(sum(CASE WHEN duration_ms > 0 THEN output_tokens END) / (sum(CASE WHEN duration_ms > 0 THEN duration_ms END) / 1000.0), 1) AS output_tokens_per_second,
       round(percentile_approx(CAST(get_json_object(properties, '$.ttft_ms') AS DOUBLE), 0.5), 1) AS median_ttft_ms,
       round(percentile_approx(CAST(get_json_object(properties, '$.ttft_ms') AS DOUBLE), 0.95), 1) AS p95_ttft_ms
FROM central_app_usage
WHERE app_name = :app_name AND action = 'token_usage' AND timestamp >= current_timestamp() - INTERVAL 30 DAYS
GROUP BY model
ORDER BY calls DESC, model;
