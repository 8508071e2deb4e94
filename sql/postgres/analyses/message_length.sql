-- How long users' messages are (properties.message_length, in characters) over the last 30 days: short (< 50),
-- medium (< 200) and long, with the count and the mean length of each.
SELECT CASE WHEN (properties ->> 'message_length')::numeric < 50 THEN 'short'
            WHEN (properties ->> 'message_length')::numeric < 200 THEN 'medium'
            ELSE 'long' END AS length_category,
       COUNT(*) AS messages,
       ROUND(AVG((properties ->> 'message_length')::numeric), 1) AS avg_characters
FROM central_app_usage
WHERE app_name = :'app_name' AND "timestamp" >= now() - INTERVAL '30 days'
  AND action IN ('new_conversation', 'new_reply') AND properties ? 'message_length'
GROUP BY 1
ORDER BY messages DESC, length_category;
