-- LLM tokens and estimated cost by model over the last 30 days.
SELECT model,
       SUM(input_tokens)  AS input_tokens,
       SUM(output_tokens) AS output_tokens,
       ROUND(SUM(cost_usd), 4) AS cost_usd
FROM central_app_usage
WHERE app_name = :'app_name'
  AND action = 'token_usage'
  AND "timestamp" >= CURRENT_DATE - INTERVAL '30 days'
GROUP BY model
ORDER BY cost_usd DESC;
