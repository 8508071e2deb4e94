-- A chat app's conversations per UTC day over the last 30 days: started, replies, replies per conversation, how long a
-- conversation lasted (first to last message, in minutes) and satisfaction (thumbs up of all thumbs given in it). A
-- conversation is a session_id with a new_conversation event; it counts on the day it started.
WITH conversations AS (
  SELECT session_id,
         min(CASE WHEN action = 'new_conversation' THEN timestamp END) AS started,
         max(CASE WHEN action IN ('new_conversation', 'new_reply') THEN timestamp END) AS last_message,
         count_if(action = 'new_reply') AS replies, count_if(action = 'thumbs_up') AS up, count_if(action = 'thumbs_down') AS down
  FROM central_app_usage
  WHERE app_name = :app_name AND timestamp >= current_timestamp() - INTERVAL 30 DAYS AND session_id <> ''
    AND action IN ('new_conversation', 'new_reply', 'thumbs_up', 'thumbs_down')
  GROUP BY session_id
  HAVING started IS NOT NULL
)
SELECT to_date(to_utc_timestamp(started, current_timezone())) AS day, count(*) AS conversations, sum(replies) AS replies,
       round(sum(replies) / count(*), 2) AS replies_per_conversation,
       round(avg((unix_timestamp(last_message) - unix_timestamp(started)) / 60.0), 1) AS avg_minutes,
       round(100.0 * sum(up) / nullif(sum(up) + sum(down), 0), 1) AS satisfaction_percent
FROM conversations
GROUP BY 1
ORDER BY day;
