using Npgsql;
using UsageTracking.Analytics;

namespace UsageTracking.PostgreSql;

/// <summary>
/// The dashboard's aggregates, grouped by PostgreSQL rather than read back row by row: hourly activity and the
/// duration histogram from the rows in the range (the app's index narrows them), users per day from the daily rollup
/// when it answers, and funnel sessions by day.
/// </summary>
public sealed partial class PostgresUsageStore
{
    /// <inheritdoc />
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            return new UsageAggregates([], [], [], []);
        }

        var tz = IsTimestampTz(columns);
        var extended = columns.ContainsKey("event_id");
        var utc = tz ? "(\"timestamp\" AT TIME ZONE 'UTC')" : "\"timestamp\"";
        var since = query.Since.UtcDateTime;
        var hours = query with { Since = new DateTimeOffset(since.Year, since.Month, since.Day, since.Hour, 0, 0, TimeSpan.Zero), User = null };
        var lastDay = query.Until.AddTicks(-1).UtcDateTime.Date;
        var days = query with { Since = new DateTimeOffset(since.Date, TimeSpan.Zero), Until = new DateTimeOffset(lastDay.AddDays(1), TimeSpan.Zero), User = null };

        var hourly = new List<HourlyActivity>();
        var sums = extended
            ? "COUNT(duration_ms), COALESCE(SUM(duration_ms), 0), COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(output_tokens), 0)::bigint, COALESCE(SUM(cost_usd), 0)"
            : "0::bigint, 0::float8, 0::bigint, 0::bigint, 0::numeric";
        await using (var command = Command(connection, $"""
            SELECT date_trunc('hour', {utc}) AS hour, action, {(extended ? "COALESCE(model, '')" : "''")} AS model, COUNT(*), {sums}
            FROM {_table} WHERE {Where(hours)} GROUP BY 1, 2, 3
            """, hours, tz))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hourly.Add(new HourlyActivity(Utc(reader.GetDateTime(0)), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                    reader.GetDouble(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetDecimal(8)));
            }
        }

        var users = new List<DailyUserActivity>();
        var fromRollup = await RollupExistsAsync(connection, null, cancellationToken).ConfigureAwait(false);
        await using (var command = fromRollup
            ? new NpgsqlCommand($"""
                SELECT day, "user", SUM(events)::bigint, (SUM(events) FILTER (WHERE action LIKE '%\_error%'))::bigint
                FROM {_daily} WHERE events > 0 AND day >= $1 AND day < $2{(query.AppName is null ? "" : " AND app_name = $3")} GROUP BY 1, 2
                """, connection)
            {
                Parameters = { new() { Value = DateOnly.FromDateTime(since.Date) }, new() { Value = DateOnly.FromDateTime(lastDay.AddDays(1)) } },
            }
            : Command(connection, $"""
                SELECT ({utc})::date AS day, "user", COUNT(*), COUNT(*) FILTER (WHERE action LIKE '%\_error%')
                FROM {_table} WHERE {Where(days)} GROUP BY 1, 2
                """, days, tz))
        {
            if (fromRollup && query.AppName is not null)
            {
                command.Parameters.AddWithValue(query.AppName);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                users.Add(new DailyUserActivity(reader.GetFieldValue<DateOnly>(0), reader.IsDBNull(1) ? "" : reader.GetString(1), reader.GetInt64(2),
                    reader.IsDBNull(3) ? 0 : reader.GetInt64(3)));
            }
        }

        var sessions = new List<DailySessionStep>();
        var durations = new List<HourlyDurationBucket>();
        if (extended)
        {
            var funnel = string.Join(", ", UsageActions.Funnel.Select(a => $"'{a}'"));
            await using (var command = Command(connection, $"""
                SELECT ({utc})::date AS day, action, COUNT(DISTINCT session_id)
                FROM {_table} WHERE {Where(days)} AND action IN ({funnel}) AND session_id <> '' GROUP BY 1, 2
                """, days, tz))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    sessions.Add(new DailySessionStep(reader.GetFieldValue<DateOnly>(0), reader.GetString(1), reader.GetInt64(2)));
                }
            }

            // The same buckets as DurationBuckets.Of: 0 below 1 ms, then 10 % wide.
            await using (var command = Command(connection, $"""
                SELECT date_trunc('hour', {utc}) AS hour,
                       CASE WHEN duration_ms < 1 THEN 0 ELSE LEAST(400, 1 + floor(ln(duration_ms) / ln(1.1)))::int END AS bucket, COUNT(*)
                FROM {_table} WHERE {Where(hours)} AND duration_ms IS NOT NULL AND duration_ms <> 'NaN'::float8
                    AND duration_ms <> 'Infinity'::float8 AND duration_ms <> '-Infinity'::float8
                GROUP BY 1, 2
                """, hours, tz))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    durations.Add(new HourlyDurationBucket(Utc(reader.GetDateTime(0)), reader.GetInt32(1), reader.GetInt64(2)));
                }
            }
        }

        return new UsageAggregates(hourly, users, sessions, durations);
    }

    /// <inheritdoc />
    public async Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            return new TableExtent(0, null, null);
        }

        var filter = appName is null ? "" : " WHERE app_name = $1";
        var rows = await RollupExistsAsync(connection, null, cancellationToken).ConfigureAwait(false)
            ? $"SELECT COALESCE(SUM(events), 0)::bigint FROM {_daily}{filter}"
            : $"SELECT COUNT(*) FROM {_table}{filter}";
        // The ends through an index: the app's (app_name, timestamp), or over all apps the UUIDv7 event ids, which follow time.
        var ends = appName is not null || !columns.ContainsKey("event_id")
            ? $"SELECT (SELECT MIN(\"timestamp\") FROM {_table}{filter}), (SELECT MAX(\"timestamp\") FROM {_table}{filter})"
            : $"SELECT (SELECT \"timestamp\" FROM {_table} WHERE event_id IS NOT NULL ORDER BY event_id LIMIT 1), (SELECT \"timestamp\" FROM {_table} WHERE event_id IS NOT NULL ORDER BY event_id DESC LIMIT 1)";
        await using var count = new NpgsqlCommand(rows, connection);
        await using var range = new NpgsqlCommand(ends, connection);
        if (appName is not null)
        {
            count.Parameters.AddWithValue(appName);
            range.Parameters.AddWithValue(appName);
        }

        var total = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await using var reader = await range.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : Utc(reader.GetDateTime(i));
        return new TableExtent(total, At(0), At(1));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            return [];
        }

        var extended = columns.ContainsKey("event_id");
        var order = appName is null && extended ? "ORDER BY event_id DESC" : "ORDER BY \"timestamp\" DESC";
        await using var command = new NpgsqlCommand(
            $"SELECT \"timestamp\", app_name, \"user\", action, {(extended ? "duration_ms" : "NULL::float8")} FROM {_table}"
            + (appName is null ? "" : " WHERE app_name = $2") + $" {order} LIMIT $1", connection);
        command.Parameters.AddWithValue(count);
        if (appName is not null)
        {
            command.Parameters.AddWithValue(appName);
        }

        var latest = new List<UsageEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            latest.Add(new UsageEvent
            {
                Timestamp = Utc(reader.GetDateTime(0)),
                AppName = reader.IsDBNull(1) ? "" : reader.GetString(1),
                User = reader.IsDBNull(2) ? "" : reader.GetString(2),
                Action = reader.IsDBNull(3) ? "" : reader.GetString(3),
                DurationMs = reader.IsDBNull(4) ? null : reader.GetDouble(4),
            });
        }

        return latest;
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
