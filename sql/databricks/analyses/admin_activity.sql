-- Activity by kind of account (properties.user_metadata.is_admin / is_owner, from the user enricher) over the last
-- 30 days: distinct users, messages and their mean length.
SELECT coalesce(CAST(get_json_object(properties, '$.user_metadata.is_admin') AS BOOLEAN), false) AS is_admin,
       coalesce(CAST(get_json_object(properties, '$.user_metadata.is_owner') AS BOOLEAN), false) AS is_owner,
       count(DISTINCT user) AS users,
       count(*) AS messages,
       round(avg(CAST(get_json_object(properties, '$.message_length') AS DOUBLE)), 1) AS avg_message_length
FROM central_app_usage
WHERE app_name = :app_name AND timestamp >= current_timestamp() - INTERVAL 30 DAYS
  AND action IN ('new_conversation', 'new_reply') AND get_json_object(properties, '$.user_metadata') IS NOT NULL
GROUP BY 1, 2
ORDER BY messages DESC;
