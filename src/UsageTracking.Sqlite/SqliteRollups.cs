using System.Globalization;
using Microsoft.Data.Sqlite;
using UsageTracking.Analytics;

namespace UsageTracking.Sqlite;

/// <summary>
/// Small tables beside the usage table that keep it pre-aggregated, so the dashboard reads thousands of rows
/// instead of millions: <c>_hourly</c> (events, durations, tokens, cost by hour, app, action, model), <c>_user_daily</c>
/// (events and errors by day, app, user), <c>_funnel_daily</c> (sessions reaching each funnel step by day; the
/// <c>_session_daily</c> set of hashed session ids behind it makes a session count once) and <c>_duration_hourly</c>
/// (duration histogram by hour, app, bucket), <c>_message_daily</c> (chat message lengths by day, app, bucket) and
/// <c>_conversation</c> (each conversation's first and last message, by app and session id). The store adds each batch's sums in the same
/// transaction as its rows, counting only rows actually inserted; retention and erasure rebuild the days they touch.
/// Rows written by other tools are picked up by <see cref="SqliteUsageStore.RebuildRollupsAsync"/>.
/// </summary>
internal sealed class SqliteRollups(string table, FunnelSteps steps)
{
    internal const string HourFormat = "yyyy-MM-dd HH:00";
    internal const string DayFormat = "yyyy-MM-dd";
    private const int RebuildChunk = 50_000;

    private readonly string _raw = SqliteUsageStore.Quote(table);

    public string Hourly { get; } = SqliteUsageStore.Quote(table + "_hourly");

    public string Users { get; } = SqliteUsageStore.Quote(table + "_user_daily");

    public string Sessions { get; } = SqliteUsageStore.Quote(table + "_session_daily");

    public string Durations { get; } = SqliteUsageStore.Quote(table + "_duration_hourly");

    public string Funnel { get; } = SqliteUsageStore.Quote(table + "_funnel_daily");

    public string Messages { get; } = SqliteUsageStore.Quote(table + "_message_daily");

    public string Conversations { get; } = SqliteUsageStore.Quote(table + "_conversation");

    /// <summary>Users (or channels) that reached a step counted by user, per day.</summary>
    public string StepUsers { get; } = SqliteUsageStore.Quote(table + "_step_user_daily");

    /// <summary>The highest rowid of the usage table the rollups have counted: behind the table's own, another tool wrote rows.</summary>
    public string State { get; } = SqliteUsageStore.Quote(table + "_rollup_state");

    public string CreateSql => $"""
        CREATE TABLE IF NOT EXISTS {Hourly} (
            hour TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, model TEXT NOT NULL,
            events INTEGER NOT NULL, duration_count INTEGER NOT NULL, duration_sum REAL NOT NULL,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, errors INTEGER NOT NULL DEFAULT 0,
            ttft_count INTEGER NOT NULL DEFAULT 0, ttft_sum REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, app_name, action, model)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Users} (
            day TEXT NOT NULL, app_name TEXT NOT NULL, "user" TEXT NOT NULL, events INTEGER NOT NULL, errors INTEGER NOT NULL,
            PRIMARY KEY (day, app_name, "user")) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Sessions} (
            day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, session_hash INTEGER NOT NULL,
            PRIMARY KEY (day, app_name, action, session_hash)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Funnel} (
            day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, sessions INTEGER NOT NULL,
            PRIMARY KEY (day, app_name, action)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Durations} (
            hour TEXT NOT NULL, app_name TEXT NOT NULL, bucket INTEGER NOT NULL, events INTEGER NOT NULL,
            PRIMARY KEY (hour, app_name, bucket)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Messages} (
            day TEXT NOT NULL, app_name TEXT NOT NULL, bucket INTEGER NOT NULL, messages INTEGER NOT NULL, characters INTEGER NOT NULL,
            PRIMARY KEY (day, app_name, bucket)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {Conversations} (
            app_name TEXT NOT NULL, session_id TEXT NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
            PRIMARY KEY (app_name, session_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS {SqliteUsageStore.Quote($"ix_{table}_conversation_first")} ON {Conversations} (first_ms, last_ms);
        CREATE TABLE IF NOT EXISTS {StepUsers} (
            day TEXT NOT NULL, app_name TEXT NOT NULL, action TEXT NOT NULL, user_hash INTEGER NOT NULL,
            PRIMARY KEY (day, app_name, action, user_hash)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {State} (id INTEGER PRIMARY KEY CHECK (id = 1), counted_rowid INTEGER NOT NULL, funnel_steps TEXT NOT NULL DEFAULT '');
        INSERT OR IGNORE INTO {State} (id, counted_rowid) VALUES (1, -1);
        """;

    public bool Exist(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        // The state table is created last, so its presence means the whole set exists and has been filled at least once.
        command.Parameters.AddWithValue("$name", table + "_rollup_state");
        return (long)command.ExecuteScalar()! == 1;
    }

    /// <summary>
    /// Creates the tables when missing (or completes a set from an earlier version: the state table, the hourly error and
    /// time-to-first-token counts, the chat tables) and says why, or null when they are as this store keeps them: the caller
    /// then fills them from the rows, which also levels the state.
    /// </summary>
    public string? Ensure(SqliteConnection connection)
    {
        var reason = !Exist(connection) ? "the table had none"
            : !HasColumn(connection, "_hourly", "ttft_sum") || !HasColumn(connection, "_conversation", "last_ms") || !HasColumn(connection, "_rollup_state", "funnel_steps")
                ? "they were of an earlier layout"
                : CountedSteps(connection) != steps.Key ? "they counted other funnel steps than UsageTracking:Funnels names" : null;
        if (reason is null)
        {
            return null;
        }

        using var command = connection.CreateCommand();
        // Conversations are derived rows, filled again below: a table of another layout is replaced rather than altered.
        command.CommandText = $"DROP TABLE IF EXISTS {Conversations}";
        command.ExecuteNonQuery();
        command.CommandText = CreateSql;
        command.ExecuteNonQuery();
        foreach (var (column, type) in new[] { ("errors", "INTEGER"), ("ttft_count", "INTEGER"), ("ttft_sum", "REAL") })
        {
            if (!HasColumn(connection, "_hourly", column))
            {
                command.CommandText = $"ALTER TABLE {Hourly} ADD COLUMN {column} {type} NOT NULL DEFAULT 0";
                command.ExecuteNonQuery();
            }
        }

        if (!HasColumn(connection, "_rollup_state", "funnel_steps"))
        {
            command.CommandText = $"ALTER TABLE {State} ADD COLUMN funnel_steps TEXT NOT NULL DEFAULT ''";
            command.ExecuteNonQuery();
        }

        return reason;
    }

    /// <summary>The funnel steps (<see cref="FunnelSteps.Key"/>) the rollups were last counted for; a full recount records this store's.</summary>
    public string? CountedSteps(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        if (!HasColumn(connection, "_rollup_state", "funnel_steps"))
        {
            return null;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT funnel_steps FROM {State} WHERE id = 1";
        return command.ExecuteScalar() as string;
    }

    private bool HasColumn(SqliteConnection connection, string suffix, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        command.Parameters.AddWithValue("$table", table + suffix);
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! == 1;
    }

    /// <summary>Whether the rollups have counted every row of the usage table (no other tool has written since).</summary>
    public bool IsCurrent(SqliteConnection connection, SqliteTransaction? transaction = null) =>
        Exist(connection, transaction) && Watermark(connection, transaction) == MaxRowId(connection, transaction);

    public long MaxRowId(SqliteConnection connection, SqliteTransaction? transaction) =>
        Scalar(connection, transaction, $"SELECT COALESCE(MAX(rowid), 0) FROM {_raw}") ?? 0;

    public long Watermark(SqliteConnection connection, SqliteTransaction? transaction) =>
        Scalar(connection, transaction, $"SELECT counted_rowid FROM {State} WHERE id = 1") ?? -1;

    public void SetWatermark(SqliteConnection connection, SqliteTransaction? transaction, long rowid)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"UPDATE {State} SET counted_rowid = $rowid WHERE id = 1";
        command.Parameters.AddWithValue("$rowid", rowid);
        command.ExecuteNonQuery();
    }

    private static long? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : null;
    }

    /// <summary>Adds the sums of <paramref name="events"/> (rows just inserted) inside the caller's transaction.</summary>
    public void Add(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<(string App, UsageEvent Event)> events)
    {
        foreach (var group in events.GroupBy(e => e.App, StringComparer.Ordinal))
        {
            var builder = new AggregateBuilder(steps);
            foreach (var (_, e) in group)
            {
                builder.Add(e);
            }

            Add(connection, transaction, group.Key, builder);
        }
    }

    private void Add(SqliteConnection connection, SqliteTransaction transaction, string app, AggregateBuilder builder)
    {
        var sums = builder.Build();
        using (var command = Prepare(connection, transaction, $"""
            INSERT INTO {Hourly} (hour, app_name, action, model, events, duration_count, duration_sum, input_tokens, output_tokens, cost_usd, errors, ttft_count, ttft_sum)
            VALUES ($hour, $app, $action, $model, $events, $dcount, $dsum, $in, $out, $cost, $errors, $tcount, $tsum)
            ON CONFLICT DO UPDATE SET events = events + excluded.events, duration_count = duration_count + excluded.duration_count,
                duration_sum = duration_sum + excluded.duration_sum, input_tokens = input_tokens + excluded.input_tokens,
                output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd, errors = errors + excluded.errors,
                ttft_count = ttft_count + excluded.ttft_count, ttft_sum = ttft_sum + excluded.ttft_sum
            """, app, "$hour", "$action", "$model", "$events", "$dcount", "$dsum", "$in", "$out", "$cost", "$errors", "$tcount", "$tsum"))
        {
            foreach (var h in sums.Hourly)
            {
                Run(command, Hour(h.Hour), h.Action, h.Model, h.Events, h.DurationCount, h.DurationSum, h.InputTokens, h.OutputTokens, (double)h.CostUsd, h.Errors,
                    h.TtftCount, h.TtftSum);
            }
        }

        using (var command = Prepare(connection, transaction, $"""
            INSERT INTO {Users} VALUES ($day, $app, $user, $events, $errors)
            ON CONFLICT DO UPDATE SET events = events + excluded.events, errors = errors + excluded.errors
            """, app, "$day", "$user", "$events", "$errors"))
        {
            foreach (var u in sums.Users)
            {
                Run(command, Day(u.Day), u.User, u.Events, u.Errors);
            }
        }

        // A session counts once per day and step: only a newly inserted (day, step, session) adds to the funnel.
        var reached = new Dictionary<(DateOnly, string), long>();
        using (var command = Prepare(connection, transaction, $"INSERT INTO {Sessions} VALUES ($day, $app, $action, $session) ON CONFLICT DO NOTHING",
            app, "$day", "$action", "$session"))
        {
            foreach (var (day, action, session) in builder.SessionSteps)
            {
                if (Run(command, Day(day), action, SessionHash(session)) == 1)
                {
                    reached[(day, action)] = reached.GetValueOrDefault((day, action)) + 1;
                }
            }
        }

        using (var command = Prepare(connection, transaction,
            $"INSERT INTO {Funnel} VALUES ($day, $app, $action, $sessions) ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions",
            app, "$day", "$action", "$sessions"))
        {
            foreach (var ((day, action), sessions) in reached)
            {
                Run(command, Day(day), action, sessions);
            }
        }

        using (var command = Prepare(connection, transaction, $"""
            INSERT INTO {Durations} VALUES ($hour, $app, $bucket, $events)
            ON CONFLICT DO UPDATE SET events = events + excluded.events
            """, app, "$hour", "$bucket", "$events"))
        {
            foreach (var d in sums.Durations)
            {
                Run(command, Hour(d.Hour), d.Bucket, d.Events);
            }
        }

        using (var command = Prepare(connection, transaction, $"INSERT INTO {StepUsers} VALUES ($day, $app, $action, $user) ON CONFLICT DO NOTHING",
            app, "$day", "$action", "$user"))
        {
            foreach (var (day, action, unit) in builder.StepUsers)
            {
                Run(command, Day(day), action, SessionHash(unit));
            }
        }

        using (var command = Prepare(connection, transaction, $"""
            INSERT INTO {Messages} VALUES ($day, $app, $bucket, $messages, $characters)
            ON CONFLICT DO UPDATE SET messages = messages + excluded.messages, characters = characters + excluded.characters
            """, app, "$day", "$bucket", "$messages", "$characters"))
        {
            foreach (var m in sums.MessageLengths)
            {
                Run(command, Day(m.Day), m.Bucket, m.Messages, m.Characters);
            }
        }

        // First and last messages only ever widen: the same event counted twice changes nothing.
        using (var command = Prepare(connection, transaction, $"""
            INSERT INTO {Conversations} VALUES ($app, $session, $first, $last)
            ON CONFLICT DO UPDATE SET first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)
            """, app, "$session", "$first", "$last"))
        {
            foreach (var (session, (first, last)) in builder.Conversations)
            {
                Run(command, session, first.ToUnixTimeMilliseconds(), last.ToUnixTimeMilliseconds());
            }
        }
    }

    // The first and last messages again from the rows (two lookups each in the table's index of chat messages) for the conversations that
    // overlap the days from "from" up to "until": a removed row can only have shortened those; one with no message left goes.
    private void RecountConversations(SqliteConnection connection, SqliteTransaction transaction, DateOnly? from, DateOnly until, string? appName = null)
    {
        if (!HasColumn(connection, "", "session_id"))
        {
            return;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // The table's UTC text as Unix milliseconds (julianday 2440587.5 is 1970-01-01); -1 when no message is left.
        string Edge(string aggregate) => $"""
            COALESCE((SELECT CAST(round((julianday({aggregate}(r."timestamp")) - 2440587.5) * 86400000.0) AS INTEGER) FROM {_raw} AS r
                WHERE r.session_id = {Conversations}.session_id AND r.app_name = {Conversations}.app_name
                  AND r.action IN ({ConversationBuckets.SqlMessageActions})), -1)
            """;
        command.CommandText = $"""
            UPDATE {Conversations} SET first_ms = {Edge("MIN")}, last_ms = {Edge("MAX")}
            WHERE first_ms < $until AND last_ms >= $from{(appName is null ? "" : " AND app_name = $app")};
            DELETE FROM {Conversations} WHERE first_ms = -1;
            """;
        command.Parameters.AddWithValue("$from", from is { } f ? UnixMs(f) : long.MinValue);
        command.Parameters.AddWithValue("$until", UnixMs(until));
        if (appName is not null)
        {
            command.Parameters.AddWithValue("$app", appName);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Recomputes the rollups of whole UTC days from <paramref name="from"/> up to <paramref name="until"/> (all time when null)
    /// from the usage table's rows, in one transaction.
    /// </summary>
    public void Rebuild(SqliteConnection connection, TableShape shape, DateOnly? from = null, DateOnly? until = null)
    {
        using var transaction = connection.BeginTransaction();
        var dayFilter = from is null ? "" : " WHERE day >= $from AND day < $until";
        var hourFilter = from is null ? "" : " WHERE hour >= $from AND hour < $until";
        foreach (var (rollup, filter) in new[] { (Hourly, hourFilter), (Users, dayFilter), (Sessions, dayFilter), (Funnel, dayFilter), (Durations, hourFilter), (Messages, dayFilter), (StepUsers, dayFilter) })
        {
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {rollup}{filter}";
            Bind(delete, from, until);
            delete.ExecuteNonQuery();
        }

        if (from is null)
        {
            // A recount of some days keeps the other conversations and recounts its own from the rows (RecountConversations).
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {Conversations}";
            delete.ExecuteNonQuery();
        }

        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        // Column positions are UsageColumns' order, NULL where the table lacks one.
        select.CommandText = $"SELECT {SqliteUsageStore.SelectList(shape, "event_id", "detail")} FROM {_raw}" + (from is null ? "" : " WHERE \"timestamp\" >= $from AND \"timestamp\" < $until");
        Bind(select, from, until);
        var pending = new List<(string, UsageEvent)>(RebuildChunk);
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                var action = reader.GetString(3);
                pending.Add((reader.GetString(1), new UsageEvent
                {
                    Timestamp = SqliteUsageStore.ParseTimestamp(reader.GetString(0)),
                    User = reader.GetString(2),
                    Action = action,
                    SessionId = reader.IsDBNull(5) ? null : reader.GetString(5),
                    DurationMs = reader.IsDBNull(7) ? null : reader.GetDouble(7),
                    Model = reader.IsDBNull(8) ? null : reader.GetString(8),
                    InputTokens = reader.IsDBNull(9) ? null : reader.GetInt64(9),
                    OutputTokens = reader.IsDBNull(10) ? null : reader.GetInt64(10),
                    CostUsd = reader.IsDBNull(11) ? null : (decimal)reader.GetDouble(11),
                    IsError = UsageErrors.IsError(reader.IsDBNull(13) ? null : reader.GetInt64(13) != 0, action),
                    // Only the actions whose properties the rollups read keep them, so a recount holds no other JSON.
                    PropertiesJson = (action == Actions.TokenUsage || ConversationBuckets.IsMessage(action) || steps.CountsUsers(action)) && !reader.IsDBNull(12)
                        ? reader.GetString(12) : null,
                }));
                if (pending.Count == RebuildChunk)
                {
                    Add(connection, transaction, pending);
                    pending.Clear();
                }
            }
        }

        Add(connection, transaction, pending);
        if (from is { } first)
        {
            RecountConversations(connection, transaction, first, until ?? first.AddDays(1));
        }
        else
        {
            // Everything was recounted: whatever other tools had written is in the rollups now, and these steps are counted.
            SetWatermark(connection, transaction, MaxRowId(connection, transaction));
            using var counted = connection.CreateCommand();
            counted.Transaction = transaction;
            counted.CommandText = $"UPDATE {State} SET funnel_steps = $steps WHERE id = 1";
            counted.Parameters.AddWithValue("$steps", steps.Key);
            counted.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The distinct days on which any of the users (a JSON array) has events.</summary>
    public List<DateOnly> DaysOf(SqliteConnection connection, string usersJson)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT day FROM {Users} WHERE \"user\" IN (SELECT value FROM json_each($users))";
        command.Parameters.AddWithValue("$users", usersJson);
        using var reader = command.ExecuteReader();
        var days = new List<DateOnly>();
        while (reader.Read())
        {
            days.Add(DateOnly.ParseExact(reader.GetString(0), DayFormat, CultureInfo.InvariantCulture));
        }

        return days;
    }

    /// <summary>Drops rollups of days before <paramref name="day"/>, of one app or all (retention deleted their rows).</summary>
    public void DropBefore(SqliteConnection connection, DateOnly day, string? appName)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var (rollup, column) in new[] { (Hourly, "hour"), (Users, "day"), (Sessions, "day"), (Funnel, "day"), (Durations, "hour"), (Messages, "day"), (StepUsers, "day") })
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"DELETE FROM {rollup} WHERE {column} < $day" + (appName is null ? "" : " AND app_name = $app");
            command.Parameters.AddWithValue("$day", Day(day));
            if (appName is not null)
            {
                command.Parameters.AddWithValue("$app", appName);
            }
            command.ExecuteNonQuery();
        }

        // A conversation begun before the cutoff now begins at its first message left, or is gone.
        RecountConversations(connection, transaction, null, day, appName);
        transaction.Commit();
    }

    public async Task<UsageAggregates> ReadAsync(SqliteConnection connection, UsageQuery query, AggregateParts parts, CancellationToken cancellationToken)
    {
        var since = query.Since.UtcDateTime;
        var fromHour = Hour(new DateTimeOffset(since.Year, since.Month, since.Day, since.Hour, 0, 0, TimeSpan.Zero));
        var untilText = query.Until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var fromDay = Day(DateOnly.FromDateTime(since));
        var lastDay = Day(DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime));
        var app = query.AppName is null ? "" : " AND app_name = $app";

        var hourly = new List<HourlyActivity>();
        if (parts.HasFlag(AggregateParts.Hourly))
        {
            await foreach (var r in ReadRows(connection, $"""
                SELECT hour, action, model, SUM(events), SUM(errors), SUM(duration_count), SUM(duration_sum), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd),
                       SUM(ttft_count), SUM(ttft_sum)
                FROM {Hourly} WHERE hour >= $from AND hour < $until{app} GROUP BY hour, action, model
                """, fromHour, untilText, query.AppName, cancellationToken).ConfigureAwait(false))
            {
                hourly.Add(new HourlyActivity(ParseHour(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                    r.GetDouble(6), r.GetInt64(7), r.GetInt64(8), (decimal)r.GetDouble(9)) { TtftCount = r.GetInt64(10), TtftSum = r.GetDouble(11) });
            }
        }

        var users = new List<DailyUserActivity>();
        if (parts.HasFlag(AggregateParts.Users))
        {
            await foreach (var r in ReadRows(connection, $"""
                SELECT day, "user", SUM(events), SUM(errors) FROM {Users} WHERE day >= $from AND day <= $until{app} GROUP BY day, "user"
                """, fromDay, lastDay, query.AppName, cancellationToken).ConfigureAwait(false))
            {
                users.Add(new DailyUserActivity(ParseDay(r.GetString(0)), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
            }
        }

        var sessions = new List<DailySessionStep>();
        if (parts.HasFlag(AggregateParts.Sessions))
        {
            await foreach (var r in ReadRows(connection, $"""
                SELECT day, action, SUM(sessions) FROM {Funnel} WHERE day >= $from AND day <= $until{app} GROUP BY day, action
                """, fromDay, lastDay, query.AppName, cancellationToken).ConfigureAwait(false))
            {
                sessions.Add(new DailySessionStep(ParseDay(r.GetString(0)), r.GetString(1), r.GetInt64(2)));
            }
        }

        var durations = new List<HourlyDurationBucket>();
        if (parts.HasFlag(AggregateParts.Durations))
        {
            await foreach (var r in ReadRows(connection, $"""
                SELECT hour, bucket, SUM(events) FROM {Durations} WHERE hour >= $from AND hour < $until{app} GROUP BY hour, bucket
                """, fromHour, untilText, query.AppName, cancellationToken).ConfigureAwait(false))
            {
                durations.Add(new HourlyDurationBucket(ParseHour(r.GetString(0)), (int)r.GetInt64(1), r.GetInt64(2)));
            }
        }

        var messages = new List<DailyMessageLength>();
        var conversations = new List<DailyConversationDuration>();
        if (parts.HasFlag(AggregateParts.Conversations))
        {
            await foreach (var r in ReadRows(connection, $"""
                SELECT day, bucket, SUM(messages), SUM(characters) FROM {Messages} WHERE day >= $from AND day <= $until{app} GROUP BY day, bucket
                """, fromDay, lastDay, query.AppName, cancellationToken).ConfigureAwait(false))
            {
                messages.Add(new DailyMessageLength(ParseDay(r.GetString(0)), (int)r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
            }

            // Conversations whose first message fell on a day of the range, read from the covering (first_ms, last_ms) index.
            const string Seconds = "((last_ms - first_ms) / 1000.0)";
            await foreach (var r in ReadRows(connection, $"""
                SELECT first_ms / 86400000 AS day, {ConversationBuckets.SqlCase(Seconds, ConversationBuckets.Duration)} AS bucket, COUNT(*), SUM({Seconds})
                FROM {Conversations} WHERE first_ms >= $from AND first_ms < $until{app} GROUP BY 1, 2
                """, UnixMs(DateOnly.FromDateTime(since)), UnixMs(DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime).AddDays(1)), query.AppName,
                cancellationToken).ConfigureAwait(false))
            {
                conversations.Add(new DailyConversationDuration(DateOnly.FromDayNumber(UnixEpochDay + (int)r.GetInt64(0)), (int)r.GetInt64(1), r.GetInt64(2), r.GetDouble(3)));
            }
        }

        return new UsageAggregates(hourly, users, sessions, durations) { MessageLengths = messages, ConversationDurations = conversations };
    }

    /// <summary>
    /// A configured funnel over whole days (the query's), from the daily session counts and the users' set; null when the
    /// rollups were not counted for all of its steps in its unit.
    /// </summary>
    public async Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(SqliteConnection connection, FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken)
    {
        if (CountedSteps(connection) is not { } key || key != steps.Key || !steps.Covers(funnel))
        {
            return null;
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var byUser = funnel.CountBy == FunnelUnit.User;
        using var command = connection.CreateCommand();
        command.CommandText = (byUser
            ? $"SELECT action, COUNT(DISTINCT user_hash) FROM {StepUsers}"
            : $"SELECT action, SUM(sessions) FROM {Funnel}")
            + $" WHERE day >= $from AND day <= $until{(query.AppName is null ? "" : " AND app_name = $app")} AND action IN (SELECT value FROM json_each($steps)) GROUP BY action";
        command.Parameters.AddWithValue("$from", Day(DateOnly.FromDateTime(query.Since.UtcDateTime)));
        command.Parameters.AddWithValue("$until", Day(DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime)));
        command.Parameters.AddWithValue("$steps", System.Text.Json.JsonSerializer.Serialize(funnel.Steps));
        if (query.AppName is not null)
        {
            command.Parameters.AddWithValue("$app", query.AppName);
        }

        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return funnel.Count(counts.GetValueOrDefault);
    }

    private static async IAsyncEnumerable<SqliteDataReader> ReadRows(SqliteConnection connection, string sql, object from, object until, string? app,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$until", until);
        if (app is not null)
        {
            command.Parameters.AddWithValue("$app", app);
        }

        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader;
        }
    }

    internal static string Hour(DateTimeOffset hour) => hour.UtcDateTime.ToString(HourFormat, CultureInfo.InvariantCulture);

    internal static string Day(DateOnly day) => day.ToString(DayFormat, CultureInfo.InvariantCulture);

    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private static long UnixMs(DateOnly day) => (day.DayNumber - (long)UnixEpochDay) * 86_400_000L;

    private static DateTimeOffset ParseHour(string text) =>
        new(DateTime.ParseExact(text, HourFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), TimeSpan.Zero);

    private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, DayFormat, CultureInfo.InvariantCulture);

    private static void Bind(SqliteCommand command, DateOnly? from, DateOnly? until)
    {
        if (from is { } f)
        {
            command.Parameters.AddWithValue("$from", Day(f));
            command.Parameters.AddWithValue("$until", Day(until ?? f.AddDays(1)));
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, string app, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$app", app);
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    // Binds the values to the parameters after $app, in order, and runs the statement; returns rows changed.
    private static int Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i + 1].Value = values[i];
        }

        return command.ExecuteNonQuery();
    }

    // 64-bit FNV-1a of the session id: 8 bytes a row instead of the id's text, and stable across processes (string.GetHashCode
    // is not). A collision would merge two sessions of one step and day: about 1 in 10^11 at 10^4 sessions a day.
    internal static long SessionHash(string session)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in session)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
