-- Engagement by the users' time zone (properties.user_info.timezone, from the tracker's user enricher) over the last
-- 30 days: distinct users and messages per zone.
SELECT properties -> 'user_info' ->> 'timezone' AS timezone,
       COUNT(DISTINCT "user") AS users,
       COUNT(*) AS messages
FROM central_app_usage
WHERE app_name = :'app_name' AND "timestamp" >= now() - INTERVAL '30 days'
  AND action IN ('new_conversation', 'new_reply') AND properties -> 'user_info' ->> 'timezone' IS NOT NULL
GROUP BY 1
ORDER BY users DESC, messages DESC, timezone;
