-- Daily active users (the seed's query). Run in a Databricks SQL editor with the :app_name parameter.
SELECT DATE(timestamp) AS date, COUNT(DISTINCT user) AS active_users
FROM central_app_usage
WHERE app_name = :app_name
GROUP BY DATE(timestamp)
ORDER BY date DESC;
