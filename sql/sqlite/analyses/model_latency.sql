-- Model calls by model over the last 30 days: how many, their mean latency (duration_ms, from
-- TrackTokenUsage(..., durationMs)), output tokens per second of call time, and the mean time to first token
-- (properties.ttft_ms, from TokenUsageExtras.TimeToFirstTokenMs). Latency figures are null where calls carried none.
SELECT model,
       COUNT(*) AS calls,
       ROUND(AVG(duration_ms), 1) AS mean_latency_ms,
       ROUND(SUM(CASE WHEN duration_ms > 0 THEN output_tokens END) / (SUM(CASE WHEN duration_ms > 0 THEN duration_ms END) / 1000.0), 1) AS output_tokens_per_second,
       ROUND(AVG(json_extract(properties, '$.ttft_ms')), 1) AS mean_ttft_ms,
       MAX(json_extract(properties, '$.ttft_ms')) AS max_ttft_ms
FROM central_app_usage
WHERE app_name = :app_name AND action = 'token_usage' AND "timestamp" >= date('now', '-30 days')
GROUP BY model
ORDER BY calls DESC, model;
