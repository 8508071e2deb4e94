using Npgsql;
using UsageTracking.Analytics;

namespace UsageTracking.PostgreSql;

/// <summary>
/// The tables beside the usage table that keep it pre-aggregated, the same four kinds the SQLite store keeps:
/// <c>_hourly</c> (events, errors, durations, tokens, cost by app, hour, action, model), <c>_user_daily</c> (events and
/// errors by app, day, user), <c>_duration_hourly</c> (the duration histogram), <c>_message_daily</c> (chat message lengths by
/// app, day, bucket), <c>_conversation</c> (each conversation's first and last message) and <c>_session_daily</c> (the set of
/// sessions that reached each funnel step per day). Statement-level triggers with transition tables keep them, so every
/// insert, delete, update and truncate of the usage table counts — this tracker's, another tool's, a hand-written DELETE's.
/// Counts that fall to zero stay (removing them inside the trigger would race concurrent inserts); reads skip them and
/// retention removes them. Hours are UTC <c>timestamp</c>s, days UTC <c>date</c>s.
/// </summary>
internal sealed class PostgresRollups(string schema, string table, FunnelSteps steps)
{
    /// <summary>The earlier tracker's error rule in SQL, for rows without <c>is_error</c> (<see cref="UsageErrors.IsErrorName"/>).</summary>
    public const string ErrorByName = "action LIKE '%\\_error%'";

    private readonly string _prefix = schema.Length == 0 ? "" : PostgresUsageStore.Quote(schema) + ".";

    public string Hourly => Name("hourly");

    public string Users => Name("user_daily");

    public string Durations => Name("duration_hourly");

    public string Sessions => Name("session_daily");

    /// <summary>Sessions per app, day and step, counted as the set above grows and shrinks; created last, so its presence means the whole set is there and filled.</summary>
    public string SessionCounts => Name("funnel_daily");

    public string Messages => Name("message_daily");

    /// <summary>Users (or a user-less step's channel) that reached a step counted by user, per day.</summary>
    public string StepUsers => Name("step_user_daily");

    /// <summary>The funnel steps (<see cref="FunnelSteps.Key"/>) the rollups and their triggers count.</summary>
    private string CountedSteps => Name("rollup_steps");

    /// <summary>Whether the rollups count this store's funnel steps (else they are recreated at start, and funnels are counted from events).</summary>
    public async Task<bool> CountsStepsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regclass($1) IS NOT NULL", connection, transaction);
        command.Parameters.AddWithValue(CountedSteps);
        if (!(bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return false;
        }

        await using var key = new NpgsqlCommand($"SELECT steps FROM {CountedSteps}", connection, transaction);
        return await key.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string == steps.Key;
    }

    /// <summary>A configured funnel over whole days, from the session and user sets; null when the rollups do not count its steps.</summary>
    public async Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(NpgsqlConnection connection, FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken)
    {
        if (!steps.Covers(funnel) || !await ExistAsync(connection, null, cancellationToken).ConfigureAwait(false)
            || !await CountsStepsAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        // A session counts once a day (the day's count of its step), a user once in the range.
        var sql = (funnel.CountBy == FunnelUnit.User ? $"SELECT action, COUNT(DISTINCT unit) FROM {StepUsers}" : $"SELECT action, SUM(sessions)::bigint FROM {SessionCounts}")
            + $" WHERE day >= $1 AND day <= $2 AND action = ANY($3){(query.AppName is null ? "" : " AND app_name = $4")} GROUP BY action";
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(DateOnly.FromDateTime(query.Since.UtcDateTime));
        command.Parameters.AddWithValue(DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime));
        command.Parameters.AddWithValue(funnel.Steps.ToArray());
        if (query.AppName is not null)
        {
            command.Parameters.AddWithValue(query.AppName);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return funnel.Count(counts.GetValueOrDefault);
    }

    /// <summary>Each conversation's first and last message, in Unix milliseconds (UTC).</summary>
    public string Conversations => Name("conversation");

    /// <summary>The rollup of the store's first versions, replaced by these.</summary>
    private string LegacyDaily => Name("daily");

    private string Name(string suffix) => _prefix + PostgresUsageStore.Quote($"{table}_{suffix}");

    private string Function(string suffix) => _prefix + PostgresUsageStore.Quote($"{table}_rollup_{suffix}");

    /// <summary>Whether the rollups exist: the session counts are created last, so their presence means the whole set is there and filled.</summary>
    public async Task<bool> ExistAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction);
        exists.Parameters.AddWithValue(SessionCounts);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Creates the rollups, fills them from the rows, and installs the triggers; drops the legacy daily rollup.</summary>
    public string CreateSql(string rawTable, PgShape shape)
    {
        var utc = shape.Utc;
        var error = shape.Error;
        const string Finite = "duration_ms IS NOT NULL AND duration_ms NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)";
        // The same buckets as DurationBuckets.Of: 0 below 1 ms, then 10 % wide.
        const string Bucket = "CASE WHEN duration_ms < 1 THEN 0 ELSE LEAST(400, 1 + floor(ln(duration_ms) / ln(1.1)))::int END";
        // The steps are configuration, not user input, but are quoted as SQL literals all the same.
        static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
        var funnel = string.Join(", ", steps.SessionSteps.Order(StringComparer.Ordinal).Select(Literal));
        var userSteps = steps.UserSteps.Count == 0 ? "NULL" : string.Join(", ", steps.UserSteps.Order(StringComparer.Ordinal).Select(Literal));
        var unit = $"COALESCE(NULLIF(\"user\", ''), 'channel:' || (properties ->> '{ChatProperties.ChannelId}'))";
        var messages = PostgresUsageStore.MessageActions;
        var ttft = PostgresUsageStore.Ttft;
        var length = PostgresUsageStore.Number(ConversationBuckets.MessageLengthKey);
        var lengthBucket = ConversationBuckets.SqlCase(length, ConversationBuckets.MessageLength);

        // Grouped and sorted before touching a rollup, so concurrent writers lock its rows in one order.
        string Add(string source) => $"""
            INSERT INTO {Hourly} AS h (app_name, hour, action, model, events, errors, duration_count, duration_sum, input_tokens, output_tokens, cost_usd,
                                       ttft_count, ttft_sum)
                SELECT app_name, date_trunc('hour', {utc}), action, COALESCE(model, ''), COUNT(*), COUNT(*) FILTER (WHERE {error}),
                       COUNT(*) FILTER (WHERE {Finite}), COALESCE(SUM(duration_ms) FILTER (WHERE {Finite}), 0),
                       COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(output_tokens), 0)::bigint, COALESCE(SUM(cost_usd), 0),
                       COUNT({ttft}), COALESCE(SUM({ttft}), 0)
                FROM {source} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
                ON CONFLICT (app_name, hour, action, model) DO UPDATE SET events = h.events + EXCLUDED.events, errors = h.errors + EXCLUDED.errors,
                    duration_count = h.duration_count + EXCLUDED.duration_count, duration_sum = h.duration_sum + EXCLUDED.duration_sum,
                    input_tokens = h.input_tokens + EXCLUDED.input_tokens, output_tokens = h.output_tokens + EXCLUDED.output_tokens,
                    cost_usd = h.cost_usd + EXCLUDED.cost_usd, ttft_count = h.ttft_count + EXCLUDED.ttft_count, ttft_sum = h.ttft_sum + EXCLUDED.ttft_sum;
            INSERT INTO {Users} AS u (app_name, day, "user", events, errors)
                SELECT app_name, ({utc})::date, "user", COUNT(*), COUNT(*) FILTER (WHERE {error}) FROM {source} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (app_name, day, "user") DO UPDATE SET events = u.events + EXCLUDED.events, errors = u.errors + EXCLUDED.errors;
            INSERT INTO {Durations} AS d (app_name, hour, bucket, events)
                SELECT app_name, date_trunc('hour', {utc}), {Bucket}, COUNT(*) FROM {source} WHERE {Finite} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (app_name, hour, bucket) DO UPDATE SET events = d.events + EXCLUDED.events;
            WITH added AS (
                INSERT INTO {Sessions} (app_name, day, action, session_id)
                    SELECT DISTINCT app_name, ({utc})::date, action, session_id FROM {source} WHERE action IN ({funnel}) AND session_id <> '' ORDER BY 1, 2, 3, 4
                    ON CONFLICT DO NOTHING
                    RETURNING app_name, day, action)
            INSERT INTO {SessionCounts} AS f (app_name, day, action, sessions)
                SELECT app_name, day, action, COUNT(*) FROM added GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (app_name, day, action) DO UPDATE SET sessions = f.sessions + EXCLUDED.sessions;
            INSERT INTO {StepUsers} (app_name, day, action, unit)
                SELECT DISTINCT app_name, ({utc})::date, action, {unit} FROM {source} WHERE action IN ({userSteps}) AND {unit} IS NOT NULL ORDER BY 1, 2, 3, 4
                ON CONFLICT DO NOTHING;
            INSERT INTO {Messages} AS m (app_name, day, bucket, messages, characters)
                SELECT app_name, ({utc})::date, {lengthBucket}, COUNT(*), SUM(LEAST({length}, 2147483647))::bigint FROM {source}
                WHERE {messages} AND {length} >= 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                ON CONFLICT (app_name, day, bucket) DO UPDATE SET messages = m.messages + EXCLUDED.messages, characters = m.characters + EXCLUDED.characters;
            INSERT INTO {Conversations} AS c (app_name, session_id, first_ms, last_ms)
                SELECT app_name, session_id, MIN({Ms(utc)}), MAX({Ms(utc)}) FROM {source} WHERE {messages} AND session_id <> '' GROUP BY 1, 2 ORDER BY 1, 2
                ON CONFLICT (app_name, session_id) DO UPDATE SET first_ms = LEAST(c.first_ms, EXCLUDED.first_ms), last_ms = GREATEST(c.last_ms, EXCLUDED.last_ms);
            """;

        // A session leaves a step's set only when no row of its day and step is left.
        var remove = $"""
            UPDATE {Hourly} AS h SET events = h.events - o.events, errors = h.errors - o.errors, duration_count = h.duration_count - o.duration_count,
                    duration_sum = h.duration_sum - o.duration_sum, input_tokens = h.input_tokens - o.input_tokens,
                    output_tokens = h.output_tokens - o.output_tokens, cost_usd = h.cost_usd - o.cost_usd,
                    ttft_count = h.ttft_count - o.ttft_count, ttft_sum = h.ttft_sum - o.ttft_sum
                FROM (SELECT app_name, date_trunc('hour', {utc}) AS hour, action, COALESCE(model, '') AS model, COUNT(*) AS events,
                             COUNT(*) FILTER (WHERE {error}) AS errors, COUNT(*) FILTER (WHERE {Finite}) AS duration_count,
                             COALESCE(SUM(duration_ms) FILTER (WHERE {Finite}), 0) AS duration_sum, COALESCE(SUM(input_tokens), 0)::bigint AS input_tokens,
                             COALESCE(SUM(output_tokens), 0)::bigint AS output_tokens, COALESCE(SUM(cost_usd), 0) AS cost_usd,
                             COUNT({ttft}) AS ttft_count, COALESCE(SUM({ttft}), 0) AS ttft_sum
                      FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) AS o
                WHERE h.app_name = o.app_name AND h.hour = o.hour AND h.action = o.action AND h.model = o.model;
            UPDATE {Users} AS u SET events = u.events - o.events, errors = u.errors - o.errors
                FROM (SELECT app_name, ({utc})::date AS day, "user", COUNT(*) AS events, COUNT(*) FILTER (WHERE {error}) AS errors
                      FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) AS o
                WHERE u.app_name = o.app_name AND u.day = o.day AND u."user" = o."user";
            UPDATE {Durations} AS d SET events = d.events - o.events
                FROM (SELECT app_name, date_trunc('hour', {utc}) AS hour, {Bucket} AS bucket, COUNT(*) AS events
                      FROM old_rows WHERE {Finite} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) AS o
                WHERE d.app_name = o.app_name AND d.hour = o.hour AND d.bucket = o.bucket;
            UPDATE {Messages} AS m SET messages = m.messages - o.messages, characters = m.characters - o.characters
                FROM (SELECT app_name, ({utc})::date AS day, {lengthBucket} AS bucket, COUNT(*) AS messages, SUM(LEAST({length}, 2147483647))::bigint AS characters
                      FROM old_rows WHERE {messages} AND {length} >= 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) AS o
                WHERE m.app_name = o.app_name AND m.day = o.day AND m.bucket = o.bucket;
            -- A first or last message cannot be subtracted: the conversations the removed rows belonged to are recounted from the rows left.
            DELETE FROM {Conversations} AS c
                USING (SELECT DISTINCT app_name, session_id FROM old_rows WHERE {messages} AND session_id <> '') AS o
                WHERE c.app_name = o.app_name AND c.session_id = o.session_id;
            INSERT INTO {Conversations} AS c (app_name, session_id, first_ms, last_ms)
                SELECT t.app_name, t.session_id, MIN({Ms(Qualified(utc))}), MAX({Ms(Qualified(utc))}) FROM {rawTable} AS t
                WHERE t.{messages} AND (t.app_name, t.session_id) IN (SELECT app_name, session_id FROM old_rows WHERE {messages} AND session_id <> '')
                GROUP BY 1, 2 ORDER BY 1, 2
                ON CONFLICT (app_name, session_id) DO UPDATE SET first_ms = LEAST(c.first_ms, EXCLUDED.first_ms), last_ms = GREATEST(c.last_ms, EXCLUDED.last_ms);
            DELETE FROM {StepUsers} AS s
                USING (SELECT DISTINCT app_name, ({utc})::date AS day, action, {unit} AS unit FROM old_rows WHERE action IN ({userSteps}) AND {unit} IS NOT NULL) AS o
                WHERE s.app_name = o.app_name AND s.day = o.day AND s.action = o.action AND s.unit = o.unit
                  AND NOT EXISTS (SELECT 1 FROM {rawTable} AS t WHERE t.app_name = o.app_name AND t."timestamp" >= {DayStart("o.day", shape)}
                                  AND t."timestamp" < {DayStart("o.day + 1", shape)} AND t.action = o.action
                                  AND COALESCE(NULLIF(t."user", ''), 'channel:' || (t.properties ->> '{ChatProperties.ChannelId}')) = o.unit);
            WITH removed AS (
                DELETE FROM {Sessions} AS s
                    USING (SELECT DISTINCT app_name, ({utc})::date AS day, action, session_id FROM old_rows WHERE action IN ({funnel}) AND session_id <> '') AS o
                    WHERE s.app_name = o.app_name AND s.day = o.day AND s.action = o.action AND s.session_id = o.session_id
                      AND NOT EXISTS (SELECT 1 FROM {rawTable} AS t WHERE t.app_name = o.app_name AND t."timestamp" >= {DayStart("o.day", shape)}
                                      AND t."timestamp" < {DayStart("o.day + 1", shape)} AND t.action = o.action AND t.session_id = o.session_id)
                    RETURNING s.app_name, s.day, s.action)
            UPDATE {SessionCounts} AS f SET sessions = f.sessions - r.n
                FROM (SELECT app_name, day, action, COUNT(*) AS n FROM removed GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) AS r
                WHERE f.app_name = r.app_name AND f.day = r.day AND f.action = r.action;
            """;

        return $$"""
            DROP TRIGGER IF EXISTS {{PostgresUsageStore.Quote($"{table}_daily_insert")}} ON {{rawTable}};
            DROP TRIGGER IF EXISTS {{PostgresUsageStore.Quote($"{table}_daily_delete")}} ON {{rawTable}};
            DROP TRIGGER IF EXISTS {{PostgresUsageStore.Quote($"{table}_daily_update")}} ON {{rawTable}};
            DROP TRIGGER IF EXISTS {{PostgresUsageStore.Quote($"{table}_daily_truncate")}} ON {{rawTable}};
            DROP TABLE IF EXISTS {{LegacyDaily}};

            CREATE TABLE IF NOT EXISTS {{Hourly}} (
                app_name text NOT NULL, hour timestamp NOT NULL, action text NOT NULL, model text NOT NULL,
                events bigint NOT NULL, errors bigint NOT NULL, duration_count bigint NOT NULL, duration_sum double precision NOT NULL,
                input_tokens bigint NOT NULL, output_tokens bigint NOT NULL, cost_usd numeric NOT NULL,
                ttft_count bigint NOT NULL DEFAULT 0, ttft_sum double precision NOT NULL DEFAULT 0,
                PRIMARY KEY (app_name, hour, action, model));
            ALTER TABLE {{Hourly}} ADD COLUMN IF NOT EXISTS ttft_count bigint NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS ttft_sum double precision NOT NULL DEFAULT 0;
            CREATE TABLE IF NOT EXISTS {{Users}} (
                app_name text NOT NULL, day date NOT NULL, "user" text NOT NULL, events bigint NOT NULL, errors bigint NOT NULL,
                PRIMARY KEY (app_name, day, "user"));
            CREATE TABLE IF NOT EXISTS {{Durations}} (
                app_name text NOT NULL, hour timestamp NOT NULL, bucket integer NOT NULL, events bigint NOT NULL,
                PRIMARY KEY (app_name, hour, bucket));
            CREATE TABLE IF NOT EXISTS {{Messages}} (
                app_name text NOT NULL, day date NOT NULL, bucket integer NOT NULL, messages bigint NOT NULL, characters bigint NOT NULL,
                PRIMARY KEY (app_name, day, bucket));
            TRUNCATE {{Hourly}}, {{Users}}, {{Durations}}, {{Messages}};
            DROP TABLE IF EXISTS {{Sessions}};
            CREATE TABLE {{Sessions}} (
                app_name text NOT NULL, day date NOT NULL, action text NOT NULL, session_id text NOT NULL,
                PRIMARY KEY (app_name, day, action, session_id));
            DROP TABLE IF EXISTS {{StepUsers}};
            CREATE TABLE {{StepUsers}} (
                app_name text NOT NULL, day date NOT NULL, action text NOT NULL, unit text NOT NULL,
                PRIMARY KEY (app_name, day, action, unit));
            DROP TABLE IF EXISTS {{CountedSteps}};
            CREATE TABLE {{CountedSteps}} (steps text NOT NULL);
            INSERT INTO {{CountedSteps}} VALUES ({{Literal(steps.Key)}});
            DROP TABLE IF EXISTS {{Conversations}};
            CREATE TABLE {{Conversations}} (
                app_name text NOT NULL, session_id text NOT NULL, first_ms bigint NOT NULL, last_ms bigint NOT NULL,
                PRIMARY KEY (app_name, session_id));
            CREATE INDEX {{PostgresUsageStore.Quote($"ix_{table}_conversation_first")}} ON {{Conversations}} (first_ms) INCLUDE (last_ms, app_name);
            DROP TABLE IF EXISTS {{SessionCounts}};
            CREATE TABLE {{SessionCounts}} (
                app_name text NOT NULL, day date NOT NULL, action text NOT NULL, sessions bigint NOT NULL,
                PRIMARY KEY (app_name, day, action));
            {{Add(rawTable)}}

            CREATE OR REPLACE FUNCTION {{Function("add")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{Add("new_rows")}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{Function("remove")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{remove}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{Function("change")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                {{remove}}
                {{Add("new_rows")}}
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE FUNCTION {{Function("truncate")}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                TRUNCATE {{Hourly}}, {{Users}}, {{Durations}}, {{Sessions}}, {{SessionCounts}}, {{Messages}}, {{Conversations}}, {{StepUsers}};
                RETURN NULL;
            END $fn$;

            CREATE OR REPLACE TRIGGER {{PostgresUsageStore.Quote($"{table}_rollup_insert")}} AFTER INSERT ON {{rawTable}}
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{Function("add")}}();
            CREATE OR REPLACE TRIGGER {{PostgresUsageStore.Quote($"{table}_rollup_delete")}} AFTER DELETE ON {{rawTable}}
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {{Function("remove")}}();
            CREATE OR REPLACE TRIGGER {{PostgresUsageStore.Quote($"{table}_rollup_update")}} AFTER UPDATE ON {{rawTable}}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{Function("change")}}();
            CREATE OR REPLACE TRIGGER {{PostgresUsageStore.Quote($"{table}_rollup_truncate")}} AFTER TRUNCATE ON {{rawTable}}
                FOR EACH STATEMENT EXECUTE FUNCTION {{Function("truncate")}}();
            """;
    }

    /// <summary>Statements removing rollup rows whose counts fell to zero before the cutoff ($1, a UTC timestamp), of one app ($2) or all.</summary>
    public IEnumerable<string> RemoveEmptyBefore(bool oneApp)
    {
        var app = oneApp ? " AND app_name = $2" : "";
        yield return $"DELETE FROM {Hourly} WHERE events <= 0 AND hour < $1{app}";
        yield return $"DELETE FROM {Users} WHERE events <= 0 AND day < $1::date{app}";
        yield return $"DELETE FROM {Durations} WHERE events <= 0 AND hour < $1{app}";
        yield return $"DELETE FROM {Messages} WHERE messages <= 0 AND day < $1::date{app}";
        yield return $"DELETE FROM {SessionCounts} WHERE sessions <= 0 AND day < $1::date{app}";
    }

    // A UTC timestamp expression as Unix milliseconds (a timestamp without zone counts from 1970-01-01 as it reads).
    private static string Ms(string utc) => $"floor(EXTRACT(EPOCH FROM {utc}) * 1000)::bigint";

    // The UTC time expression for the raw table aliased "t".
    private static string Qualified(string utc) => utc.Replace("\"timestamp\"", "t.\"timestamp\"", StringComparison.Ordinal);

    /// <summary>The first instant of a UTC day, comparable with the usage table's <c>timestamp</c>.</summary>
    private static string DayStart(string day, PgShape shape) => shape.TimestampTz ? $"(({day})::timestamp AT TIME ZONE 'UTC')" : $"({day})::timestamp";
}
