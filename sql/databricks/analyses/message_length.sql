-- How long users' messages are (properties.message_length, in characters) over the last 30 days: short (< 50),
-- medium (< 200) and long, with the count and the mean length of each.
SELECT CASE WHEN CAST(get_json_object(properties, '$.message_length') AS DOUBLE) < 50 THEN 'short'
            WHEN CAST(get_json_object(properties, '$.message_length') AS DOUBLE) < 200 THEN 'medium'
            ELSE 'long' END AS length_category,
       count(*) AS messages,
       round(avg(CAST(get_json_object(properties, '$.message_length') AS DOUBLE)), 1) AS avg_characters
FROM central_app_usage
WHERE app_name = :app_name AND timestamp >= current_timestamp() - INTERVAL 30 DAYS
  AND action IN ('new_conversation', 'new_reply') AND get_json_object(properties, '$.message_length') IS NOT NULL
GROUP BY 1
ORDER BY messages DESC, length_category;
