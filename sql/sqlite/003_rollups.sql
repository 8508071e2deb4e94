-- Rollups the SQLite store keeps beside the usage table (UsageTracking.Sqlite, SqliteRollups), in the same
-- transaction as each batch, counting only rows actually inserted. Dashboards, the HTML report and alerts read
-- these instead of the raw rows. Hours are UTC text 'YYYY-MM-DD HH:00', days 'YYYY-MM-DD'.
-- If rows are written or deleted by other tools, `SqliteUsageStore.RebuildRollupsAsync` recounts them.
CREATE TABLE IF NOT EXISTS "central_app_usage_hourly" (
    hour TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL,
    events INTEGER NOT NULL, duration_count INTEGER NOT NULL, duration_sum REAL NOT NULL,
    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, errors INTEGER NOT NULL DEFAULT 0,
    ttft_count INTEGER NOT NULL DEFAULT 0, ttft_sum REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, app_name, action, model)) WITHOUT ROWID;
-- Distinct users per day, with their events and errors (is_error, or for rows without it the naming rule).
CREATE TABLE IF NOT EXISTS "central_app_usage_user_daily" (
    day TEXT NOT NULL, app_name TEXT NOT NULL, "user" TEXT NOT NULL, events INTEGER NOT NULL, errors INTEGER NOT NULL,
    PRIMARY KEY (day, app_name, "user")) WITHOUT ROWID;
-- Sessions that reached a step of the SQL editing funnel (generate_question, sql_query, edit_sql, execute_sql,
-- download_results) per day: the set of sessions (as 64-bit FNV-1a hashes of session_id), and its counts.
CREATE TABLE IF NOT EXISTS "central_app_usage_session_daily" (
    day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, session_hash INTEGER NOT NULL,
    PRIMARY KEY (day, app_name, action, session_hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS "central_app_usage_funnel_daily" (
    day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, sessions INTEGER NOT NULL,
    PRIMARY KEY (day, app_name, action)) WITHOUT ROWID;
-- Durations in logarithmic buckets 10 % wide: bucket 0 < 1 ms, bucket b >= 1 holds [1.1^(b-1), 1.1^b) ms.
CREATE TABLE IF NOT EXISTS "central_app_usage_duration_hourly" (
    hour TEXT NOT NULL, app_name TEXT NOT NULL, bucket INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (hour, app_name, bucket)) WITHOUT ROWID;
-- Chat messages (new_conversation, new_reply) by the length in properties.message_length, per day: bucket 0 under 50
-- characters, 1 under 200, 2 under 500, 3 under 1,000, 4 the rest (UsageTracking.Analytics.ConversationBuckets).
CREATE TABLE IF NOT EXISTS "central_app_usage_message_daily" (
    day TEXT NOT NULL, app_name TEXT NOT NULL, bucket INTEGER NOT NULL, messages INTEGER NOT NULL, characters INTEGER NOT NULL,
    PRIMARY KEY (day, app_name, bucket)) WITHOUT ROWID;
-- Each conversation (the session_id of chat messages) with its first and last message, in Unix milliseconds (UTC), so
-- the dashboard reads durations from the covering index without parsing a timestamp.
-- Retention and erasure recount the conversations they cut from the rows, found through the usage table's partial index of chat messages (001).
CREATE TABLE IF NOT EXISTS "central_app_usage_conversation" (
    app_name TEXT NOT NULL, session_id TEXT NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
    PRIMARY KEY (app_name, session_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "ix_central_app_usage_conversation_first" ON "central_app_usage_conversation" (first_ms, last_ms);
-- Time to first token (properties.ttft_ms of token_usage) is summed in the hourly table's ttft_count and ttft_sum.
-- Users (or, for a step tracked without one, "channel:" + properties.channel_id, as FNV-1a hashes) that reached a step
-- of a funnel configured to count users (UsageTracking:Funnels, CountBy User), per day. Steps of funnels counted by
-- session go into the session tables above, beside the SQL editing funnel's.
CREATE TABLE IF NOT EXISTS "central_app_usage_step_user_daily" (
    day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, user_hash INTEGER NOT NULL,
    PRIMARY KEY (day, app_name, action, user_hash)) WITHOUT ROWID;
-- The highest rowid of the usage table the rollups have counted, created last. The store moves it with each batch it
-- writes; when another tool inserts rows, it falls behind MAX(rowid), and stats and dashboards count the rows themselves
-- (correct, slower) until `usage rebuild-rollups` recounts everything and catches it up. -1: nothing counted yet; the
-- store fills the rollups from the rows when it finds them so.
-- funnel_steps: the funnel steps the rollups were counted for; a store configured with others recounts at start.
CREATE TABLE IF NOT EXISTS "central_app_usage_rollup_state" (id INTEGER PRIMARY KEY CHECK (id = 1), counted_rowid INTEGER NOT NULL, funnel_steps TEXT NOT NULL DEFAULT '');
INSERT OR IGNORE INTO "central_app_usage_rollup_state" (id, counted_rowid) VALUES (1, -1);
