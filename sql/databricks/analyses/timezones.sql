-- Engagement by the users' time zone (properties.user_info.timezone, from the tracker's user enricher) over the last
-- 30 days: distinct users and messages per zone.
SELECT get_json_object(properties, '$.user_info.timezone') AS timezone,
       count(DISTINCT user) AS users,
       count(*) AS messages
FROM central_app_usage
WHERE app_name = :app_name AND timestamp >= current_timestamp() - INTERVAL 30 DAYS
  AND action IN ('new_conversation', 'new_reply') AND get_json_object(properties, '$.user_info.timezone') IS NOT NULL
GROUP BY 1
ORDER BY users DESC, messages DESC, timezone;
