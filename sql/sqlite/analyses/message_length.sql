-- How long users' messages are (properties.message_length, in characters) over the last 30 days: short (< 50),
-- medium (< 200) and long, with the count and the mean length of each.
SELECT CASE WHEN json_extract(properties, '$.message_length') < 50 THEN 'short'
            WHEN json_extract(properties, '$.message_length') < 200 THEN 'medium'
            ELSE 'long' END AS length_category,
       COUNT(*) AS messages,
       ROUND(AVG(json_extract(properties, '$.message_length')), 1) AS avg_characters
FROM central_app_usage
WHERE app_name = :app_name AND "timestamp" >= date('now', '-30 days')
  AND action IN ('new_conversation', 'new_reply') AND json_extract(properties, '$.message_length') IS NOT NULL
GROUP BY length_category
ORDER BY messages DESC, length_category;
