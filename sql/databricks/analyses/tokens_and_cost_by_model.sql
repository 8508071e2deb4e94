-- LLM tokens and estimated cost by model over the last 30 days (extended columns).
SELECT model,
       SUM(input_tokens) AS input_tokens,
       SUM(output_tokens) AS output_tokens,
       ROUND(SUM(cost_usd), 4) AS cost_usd,
       SUM(CAST(get_json_object(properties, '$.cache_read_input_tokens') AS BIGINT)) AS cache_read_tokens
FROM central_app_usage
WHERE app_name = :app_name
  AND action = 'token_usage'
  AND timestamp >= date_sub(current_date(), 30)
GROUP BY model
ORDER BY cost_usd DESC;
