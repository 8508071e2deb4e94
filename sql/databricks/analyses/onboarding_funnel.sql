-- The chatbot onboarding funnel over the last 90 days: who reached each step (the user who tracked it, or for a step
-- tracked without one, its channel), and that as a share of the step before. Steps are counted on their own, so someone
-- who skipped a step still counts at the later ones. Every step is listed, reached or not.
WITH steps AS (
  SELECT * FROM VALUES (1, 'organization_created'), (2, 'governance_channel_created'), (3, 'connection_setup_succeeded'),
                       (4, 'first_dataset_sync'), (5, 'first_successful_query'), (6, 'coworker_invited') AS s(step, action)
),
reached AS (
  SELECT s.step, s.action, COUNT(DISTINCT coalesce(u.user, get_json_object(u.properties, '$.channel_id'))) AS reached
  FROM steps AS s
  LEFT JOIN central_app_usage AS u
    ON u.action = s.action AND u.app_name = :app_name AND u.timestamp >= current_timestamp() - INTERVAL 90 DAYS
  GROUP BY s.step, s.action
)
SELECT step, action, reached,
       round(100.0 * reached / nullif(lag(reached) OVER (ORDER BY step), 0), 1) AS percent_of_previous
FROM reached
ORDER BY step;
