-- Engagement by the users' time zone (properties.user_info.timezone, from the tracker's user enricher) over the last
-- 30 days: distinct users and messages per zone.
SELECT json_extract(properties, '$.user_info.timezone') AS timezone,
       COUNT(DISTINCT "user") AS users,
       COUNT(*) AS messages
FROM central_app_usage
WHERE app_name = :app_name AND "timestamp" >= date('now', '-30 days')
  AND action IN ('new_conversation', 'new_reply') AND json_extract(properties, '$.user_info.timezone') IS NOT NULL
GROUP BY timezone
ORDER BY users DESC, messages DESC, timezone;
