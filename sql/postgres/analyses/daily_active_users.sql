-- Daily active users of one app, newest day first (UTC days).
-- psql "$DATABASE_URL" -v app_name=my-app -f sql/postgres/analyses/daily_active_users.sql
SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS date, COUNT(DISTINCT "user") AS active_users
FROM central_app_usage
WHERE app_name = :'app_name'
GROUP BY 1
ORDER BY date DESC;
