-- A chat app's conversations per UTC day over the last 30 days: started, replies, replies per conversation, how long a
-- conversation lasted (first to last message, in minutes) and satisfaction (thumbs up of all thumbs given in it). A
-- conversation is a session_id with a new_conversation event; it counts on the day it started.
WITH conversations AS (
    SELECT session_id,
           MIN("timestamp") FILTER (WHERE action = 'new_conversation') AS started,
           MAX("timestamp") FILTER (WHERE action IN ('new_conversation', 'new_reply')) AS last_message,
           COUNT(*) FILTER (WHERE action = 'new_reply') AS replies,
           COUNT(*) FILTER (WHERE action = 'thumbs_up') AS up,
           COUNT(*) FILTER (WHERE action = 'thumbs_down') AS down
    FROM central_app_usage
    WHERE app_name = :'app_name' AND "timestamp" >= now() - INTERVAL '30 days' AND session_id <> ''
      AND action IN ('new_conversation', 'new_reply', 'thumbs_up', 'thumbs_down')
    GROUP BY session_id
    HAVING MIN("timestamp") FILTER (WHERE action = 'new_conversation') IS NOT NULL
)
SELECT (started AT TIME ZONE 'UTC')::date AS day, COUNT(*) AS conversations, SUM(replies) AS replies,
       ROUND(SUM(replies)::numeric / COUNT(*), 2) AS replies_per_conversation,
       ROUND(AVG(EXTRACT(EPOCH FROM last_message - started) / 60)::numeric, 1) AS avg_minutes,
       ROUND(100.0 * SUM(up) / NULLIF(SUM(up) + SUM(down), 0), 1) AS satisfaction_percent
FROM conversations
GROUP BY 1
ORDER BY day;
