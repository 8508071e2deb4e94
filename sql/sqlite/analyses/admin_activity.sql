-- Activity by kind of account (properties.user_metadata.is_admin / is_owner, from the user enricher) over the last
-- 30 days: distinct users, messages and their mean length.
SELECT COALESCE(json_extract(properties, '$.user_metadata.is_admin'), 0) AS is_admin,
       COALESCE(json_extract(properties, '$.user_metadata.is_owner'), 0) AS is_owner,
       COUNT(DISTINCT "user") AS users,
       COUNT(*) AS messages,
       ROUND(AVG(json_extract(properties, '$.message_length')), 1) AS avg_message_length
FROM central_app_usage
WHERE app_name = :app_name AND "timestamp" >= date('now', '-30 days')
  AND action IN ('new_conversation', 'new_reply') AND json_extract(properties, '$.user_metadata') IS NOT NULL
GROUP BY is_admin, is_owner
ORDER BY messages DESC;
