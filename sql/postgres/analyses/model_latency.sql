-- Model calls by model over the last 30 days: how many, their latency (duration_ms, from
-- TrackTokenUsage(..., durationMs)) as mean and p95, output tokens per second of call time, and the time to first
-- token (properties.ttft_ms, from TokenUsageExtras.TimeToFirstTokenMs) as median and p95. Null where calls carried none.
SELECT model,
       COUNT(*) AS calls,
       ROUND(AVG(duration_ms)::numeric, 1) AS mean_latency_ms,
       ROUND((percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms))::numeric, 1) AS p95_latency_ms,
       ROUND((SUM(output_tokens) FILTER (WHERE duration_ms > 0) / NULLIF(SUM(duration_ms) FILTER (WHERE duration_ms > 0) / 1000.0, 0))::numeric, 1) AS output_tokens_per_second,
       ROUND((percentile_cont(0.5) WITHIN GROUP (ORDER BY (properties ->> 'ttft_ms')::double precision))::numeric, 1) AS median_ttft_ms,
       ROUND((percentile_cont(0.95) WITHIN GROUP (ORDER BY (properties ->> 'ttft_ms')::double precision))::numeric, 1) AS p95_ttft_ms
FROM central_app_usage
WHERE app_name = :'app_name' AND action = 'token_usage' AND "timestamp" >= now() - INTERVAL '30 days'
GROUP BY model
ORDER BY calls DESC, model;
