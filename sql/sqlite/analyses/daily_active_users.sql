-- Daily active users of one app, newest day first.
-- sqlite3 usage.db ".param set :app_name my-app" ".read sql/sqlite/analyses/daily_active_users.sql"
SELECT date("timestamp") AS date, COUNT(DISTINCT "user") AS active_users
FROM central_app_usage
WHERE app_name = :app_name
GROUP BY date("timestamp")
ORDER BY date DESC;
