-- Activity by kind of account (properties.user_metadata.is_admin / is_owner, from the user enricher) over the last
-- 30 days: distinct users, messages and their mean length.
SELECT COALESCE((properties -> 'user_metadata' ->> 'is_admin')::boolean, false) AS is_admin,
       COALESCE((properties -> 'user_metadata' ->> 'is_owner')::boolean, false) AS is_owner,
       COUNT(DISTINCT "user") AS users,
       COUNT(*) AS messages,
       ROUND(AVG((properties ->> 'message_length')::numeric), 1) AS avg_message_length
FROM central_app_usage
WHERE app_name = :'app_name' AND "timestamp" >= now() - INTERVAL '30 days'
  AND action IN ('new_conversation', 'new_reply') AND properties ? 'user_metadata'
GROUP BY 1, 2
ORDER BY messages DESC;
