-- A chat app's conversations per UTC day over the last 30 days: started, replies, replies per conversation, how long a
-- conversation lasted (first to last message, in minutes) and satisfaction (thumbs up of all thumbs given in it). A
-- conversation is a session_id with a new_conversation event; it counts on the day it started.
WITH conversations AS (
    SELECT session_id,
           MIN(CASE WHEN action = 'new_conversation' THEN "timestamp" END) AS started,
           MAX(CASE WHEN action IN ('new_conversation', 'new_reply') THEN "timestamp" END) AS last_message,
           SUM(action = 'new_reply') AS replies, SUM(action = 'thumbs_up') AS up, SUM(action = 'thumbs_down') AS down
    FROM central_app_usage
    WHERE app_name = :app_name AND "timestamp" >= date('now', '-30 days') AND session_id <> ''
      AND action IN ('new_conversation', 'new_reply', 'thumbs_up', 'thumbs_down')
    GROUP BY session_id
    HAVING started IS NOT NULL
)
SELECT date(started) AS day, COUNT(*) AS conversations, SUM(replies) AS replies,
       ROUND(1.0 * SUM(replies) / COUNT(*), 2) AS replies_per_conversation,
       ROUND(AVG((julianday(last_message) - julianday(started)) * 1440), 1) AS avg_minutes,
       ROUND(100.0 * SUM(up) / NULLIF(SUM(up) + SUM(down), 0), 1) AS satisfaction_percent
FROM conversations
GROUP BY date(started)
ORDER BY day;
