using Npgsql;
using UsageTracking.Analytics;

namespace UsageTracking.PostgreSql;

/// <summary>
/// The dashboard's aggregates: read from the rollups the triggers keep, or — for a table without them (a seed table, or
/// one the store may not alter) — grouped by PostgreSQL from the rows in the range, never read back row by row.
/// </summary>
public sealed partial class PostgresUsageStore
{
    /// <inheritdoc />
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, AggregateParts parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            return new UsageAggregates([], [], [], []);
        }

        var since = query.Since.UtcDateTime;
        var fromHour = new DateTime(since.Year, since.Month, since.Day, since.Hour, 0, 0, DateTimeKind.Unspecified);
        var untilHour = DateTime.SpecifyKind(query.Until.UtcDateTime, DateTimeKind.Unspecified);
        var fromDay = DateOnly.FromDateTime(since);
        var lastDay = DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime);
        var rollups = await _rollups.ExistAsync(connection, null, cancellationToken).ConfigureAwait(false);
        var rows = new RowRanges(query);

        var hourly = new List<HourlyActivity>();
        if (parts.HasFlag(AggregateParts.Hourly))
        {
            await using var command = rollups
                ? Rollup(connection, $"""
                    SELECT hour, action, model, SUM(events)::bigint, SUM(errors)::bigint, SUM(duration_count)::bigint, SUM(duration_sum),
                           SUM(input_tokens)::bigint, SUM(output_tokens)::bigint, SUM(cost_usd), SUM(ttft_count)::bigint, SUM(ttft_sum)
                    FROM {_rollups.Hourly} WHERE hour >= $1 AND hour < $2{App(query, 3)} GROUP BY 1, 2, 3 HAVING SUM(events) > 0
                    """, fromHour, untilHour, query.AppName)
                : Command(connection, $"""
                    SELECT date_trunc('hour', {shape.Utc}), action, {(shape.Has("model") ? "COALESCE(model, '')" : "''")}, COUNT(*),
                           COUNT(*) FILTER (WHERE {shape.Error}), {(shape.Extended ? "COUNT(duration_ms), COALESCE(SUM(duration_ms), 0), COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(output_tokens), 0)::bigint, COALESCE(SUM(cost_usd), 0), " + $"COUNT({Ttft}), COALESCE(SUM({Ttft}), 0)" : "0::bigint, 0::float8, 0::bigint, 0::bigint, 0::numeric, 0::bigint, 0::float8")}
                    FROM {_table} WHERE {Where(rows.Hours)} GROUP BY 1, 2, 3
                    """, rows.Hours, shape);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hourly.Add(new HourlyActivity(Utc(reader.GetDateTime(0)), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                    reader.GetInt64(5), reader.GetDouble(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDecimal(9))
                {
                    TtftCount = reader.GetInt64(10),
                    TtftSum = reader.GetDouble(11),
                });
            }
        }

        var users = new List<DailyUserActivity>();
        if (parts.HasFlag(AggregateParts.Users))
        {
            await using var command = rollups
                ? Rollup(connection, $"""
                    SELECT day, "user", SUM(events)::bigint, SUM(errors)::bigint FROM {_rollups.Users}
                    WHERE day >= $1 AND day <= $2{App(query, 3)} GROUP BY 1, 2 HAVING SUM(events) > 0
                    """, fromDay, lastDay, query.AppName)
                : Command(connection, $"""
                    SELECT ({shape.Utc})::date, "user", COUNT(*), COUNT(*) FILTER (WHERE {shape.Error}) FROM {_table} WHERE {Where(rows.Days)} GROUP BY 1, 2
                    """, rows.Days, shape);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                users.Add(new DailyUserActivity(reader.GetFieldValue<DateOnly>(0), reader.IsDBNull(1) ? "" : reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        var sessions = new List<DailySessionStep>();
        if (parts.HasFlag(AggregateParts.Sessions) && shape.Extended)
        {
            var funnel = string.Join(", ", UsageActions.Funnel.Select(a => $"'{a}'"));
            await using var command = rollups
                ? Rollup(connection, $"SELECT day, action, SUM(sessions)::bigint FROM {_rollups.SessionCounts} WHERE day >= $1 AND day <= $2{App(query, 3)} GROUP BY 1, 2 HAVING SUM(sessions) > 0",
                    fromDay, lastDay, query.AppName)
                : Command(connection, $"""
                    SELECT ({shape.Utc})::date, action, COUNT(DISTINCT session_id) FROM {_table}
                    WHERE {Where(rows.Days)} AND action IN ({funnel}) AND session_id <> '' GROUP BY 1, 2
                    """, rows.Days, shape);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sessions.Add(new DailySessionStep(reader.GetFieldValue<DateOnly>(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var durations = new List<HourlyDurationBucket>();
        if (parts.HasFlag(AggregateParts.Durations) && shape.Extended)
        {
            await using var command = rollups
                ? Rollup(connection, $"""
                    SELECT hour, bucket, SUM(events)::bigint FROM {_rollups.Durations} WHERE hour >= $1 AND hour < $2{App(query, 3)} GROUP BY 1, 2 HAVING SUM(events) > 0
                    """, fromHour, untilHour, query.AppName)
                : Command(connection, $"""
                    SELECT date_trunc('hour', {shape.Utc}),
                           CASE WHEN duration_ms < 1 THEN 0 ELSE LEAST(400, 1 + floor(ln(duration_ms) / ln(1.1)))::int END, COUNT(*)
                    FROM {_table} WHERE {Where(rows.Hours)} AND duration_ms IS NOT NULL AND duration_ms NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
                    GROUP BY 1, 2
                    """, rows.Hours, shape);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                durations.Add(new HourlyDurationBucket(Utc(reader.GetDateTime(0)), reader.GetInt32(1), reader.GetInt64(2)));
            }
        }

        var messages = new List<DailyMessageLength>();
        var conversations = new List<DailyConversationDuration>();
        if (parts.HasFlag(AggregateParts.Conversations) && shape.Extended)
        {
            var length = Number(ConversationBuckets.MessageLengthKey);
            await using (var command = rollups
                ? Rollup(connection, $"""
                    SELECT day, bucket, SUM(messages)::bigint, SUM(characters)::bigint FROM {_rollups.Messages}
                    WHERE day >= $1 AND day <= $2{App(query, 3)} GROUP BY 1, 2 HAVING SUM(messages) > 0
                    """, fromDay, lastDay, query.AppName)
                : Command(connection, $"""
                    SELECT ({shape.Utc})::date, {ConversationBuckets.SqlCase(length, ConversationBuckets.MessageLength)}, COUNT(*), SUM(LEAST({length}, 2147483647))::bigint
                    FROM {_table} WHERE {Where(rows.Days)} AND {MessageActions} AND {length} >= 0 GROUP BY 1, 2
                    """, rows.Days, shape))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    messages.Add(new DailyMessageLength(reader.GetFieldValue<DateOnly>(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }

            // Conversations whose first message fell on a day of the range; without rollups, as far as the range's rows tell.
            // From the rollup's milliseconds (the covering index), or without rollups from the range's rows.
            const string Seconds = "((last_ms - first_ms) / 1000.0)::float8";
            var grouped = $"SELECT (first_ms / 86400000)::int, {ConversationBuckets.SqlCase(Seconds, ConversationBuckets.Duration)}, COUNT(*), SUM({Seconds})";
            var epochMs = (long day) => (day - UnixEpochDay) * 86_400_000L;
            await using (var command = rollups
                ? Rollup(connection, $"""
                    {grouped} FROM {_rollups.Conversations} WHERE first_ms >= $1 AND first_ms < $2{App(query, 3)} GROUP BY 1, 2
                    """, epochMs(fromDay.DayNumber), epochMs(lastDay.AddDays(1).DayNumber), query.AppName)
                : Command(connection, $"""
                    {grouped} FROM (SELECT floor(EXTRACT(EPOCH FROM MIN({shape.Utc})) * 1000)::bigint AS first_ms,
                                           floor(EXTRACT(EPOCH FROM MAX({shape.Utc})) * 1000)::bigint AS last_ms FROM {_table}
                                    WHERE {Where(rows.Days)} AND {MessageActions} AND session_id <> '' GROUP BY app_name, session_id) AS c GROUP BY 1, 2
                    """, rows.Days, shape))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    conversations.Add(new DailyConversationDuration(DateOnly.FromDayNumber(UnixEpochDay + reader.GetInt32(0)), reader.GetInt32(1), reader.GetInt64(2),
                        reader.GetDouble(3)));
                }
            }
        }

        return new UsageAggregates(hourly, users, sessions, durations) { MessageLengths = messages, ConversationDurations = conversations };
    }

    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    internal static readonly string MessageActions = $"action IN ({ConversationBuckets.SqlMessageActions})";

    internal static readonly string Ttft =
        $"CASE WHEN action = '{Actions.TokenUsage}' AND {Number(ConversationBuckets.TimeToFirstTokenKey)} >= 0 THEN {Number(ConversationBuckets.TimeToFirstTokenKey)} END";

    // A number in the properties, or NULL: a string or an object under the key must not fail the statement.
    internal static string Number(string key) => $"CASE WHEN jsonb_typeof(properties -> '{key}') = 'number' THEN (properties ->> '{key}')::float8 END";

    /// <inheritdoc />
    public async Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        ArgumentNullException.ThrowIfNull(query);
        if (query.User is not null)
        {
            return null;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await _rollups.CountFunnelAsync(connection, funnel, query, cancellationToken).ConfigureAwait(false);
    }

    private static string App(UsageQuery query, int parameter) => query.AppName is null ? "" : $" AND app_name = ${parameter}";

    private static NpgsqlCommand Rollup(NpgsqlConnection connection, string sql, object from, object until, string? app)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(until);
        if (app is not null)
        {
            command.Parameters.AddWithValue(app);
        }

        return command;
    }

    /// <summary>The raw rows of the whole hours and days a range overlaps (aggregates answer whole hours and days).</summary>
    private sealed class RowRanges
    {
        public RowRanges(UsageQuery query)
        {
            Hours = query.CoveringHours() with { User = null };
            Days = query.CoveringDays() with { User = null };
        }

        public UsageQuery Hours { get; }

        public UsageQuery Days { get; }
    }
}
