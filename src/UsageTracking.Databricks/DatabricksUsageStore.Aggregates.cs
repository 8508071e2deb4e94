using UsageTracking.Analytics;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Each part is one GROUP BY statement on the warehouse, so a dashboard over any size of table moves a few kilobytes:
    /// hours and days are counted from <c>unix_seconds</c>, which no session time zone shifts.
    /// </remarks>
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, AggregateParts parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        if (columns is null)
        {
            return new UsageAggregates([], [], [], []);
        }

        // Whole hours and days the range overlaps, as every store's aggregates answer.
        var since = query.Since.UtcDateTime;
        var hours = query with { Since = new DateTimeOffset(since.Year, since.Month, since.Day, since.Hour, 0, 0, TimeSpan.Zero), User = null };
        var days = query with
        {
            Since = new DateTimeOffset(since.Date, TimeSpan.Zero),
            Until = new DateTimeOffset(query.Until.AddTicks(-1).UtcDateTime.Date.AddDays(1), TimeSpan.Zero),
            User = null,
        };
        bool Has(string column) => columns.Contains(column);
        var error = Has("is_error") ? "coalesce(is_error, instr(action, '_error') > 0)" : "instr(action, '_error') > 0";
        const string Hour = "CAST(floor(unix_seconds(timestamp) / 3600) AS BIGINT) AS hour_index";
        const string Day = "CAST(floor(unix_seconds(timestamp) / 86400) AS BIGINT) AS day_index";

        var hourly = new List<HourlyActivity>();
        if (parts.HasFlag(AggregateParts.Hourly))
        {
            var extended = Has("duration_ms") && Has("input_tokens");
            var (where, parameters) = Where(hours);
            var result = await RunAsync("aggregate_hourly", $"""
                SELECT {Hour}, action, {(Has("model") ? "coalesce(model, '')" : "''")} AS model, count(*) AS events,
                       count_if({error}) AS errors,
                       {(extended
                           ? "count(duration_ms) AS duration_count, coalesce(sum(duration_ms), 0D) AS duration_sum, coalesce(sum(input_tokens), 0L) AS input_tokens, coalesce(sum(output_tokens), 0L) AS output_tokens, coalesce(sum(cost_usd), 0BD) AS cost_usd"
                           : "0L AS duration_count, 0D AS duration_sum, 0L AS input_tokens, 0L AS output_tokens, 0BD AS cost_usd")}
                FROM {_table} WHERE {where} GROUP BY 1, 2, 3
                """, parameters, cancellationToken).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                hourly.Add(new HourlyActivity(HourOf(Long(result, row, "hour_index")), result.Value(row, "action") as string ?? "", result.Value(row, "model") as string ?? "",
                    Long(result, row, "events"), Long(result, row, "errors"), Long(result, row, "duration_count"), result.Value(row, "duration_sum") is double sum ? sum : 0,
                    Long(result, row, "input_tokens"), Long(result, row, "output_tokens"), result.Value(row, "cost_usd") is decimal cost ? cost : 0));
            }
        }

        var users = new List<DailyUserActivity>();
        if (parts.HasFlag(AggregateParts.Users))
        {
            var (where, parameters) = Where(days);
            var result = await RunAsync("aggregate_users", $"""
                SELECT {Day}, user, count(*) AS events, count_if({error}) AS errors FROM {_table} WHERE {where} GROUP BY 1, 2
                """, parameters, cancellationToken).ConfigureAwait(false);
            users.AddRange(result.Rows.Select(row => new DailyUserActivity(DayOf(Long(result, row, "day_index")), result.Value(row, "user") as string ?? "",
                Long(result, row, "events"), Long(result, row, "errors"))));
        }

        var sessions = new List<DailySessionStep>();
        if (parts.HasFlag(AggregateParts.Sessions) && Has("session_id"))
        {
            var (where, parameters) = Where(days);
            var funnel = string.Join(", ", UsageActions.Funnel.Select(a => $"'{a}'"));
            var result = await RunAsync("aggregate_sessions", $"""
                SELECT {Day}, action, count(DISTINCT session_id) AS sessions FROM {_table}
                WHERE {where} AND action IN ({funnel}) AND session_id <> '' GROUP BY 1, 2
                """, parameters, cancellationToken).ConfigureAwait(false);
            sessions.AddRange(result.Rows.Select(row => new DailySessionStep(DayOf(Long(result, row, "day_index")), result.Value(row, "action") as string ?? "",
                Long(result, row, "sessions"))));
        }

        var durations = new List<HourlyDurationBucket>();
        if (parts.HasFlag(AggregateParts.Durations) && Has("duration_ms"))
        {
            var (where, parameters) = Where(hours);
            // DurationBuckets.Of, in SQL: under 1 ms is bucket 0, then 10 % wide buckets up to 400.
            var result = await RunAsync("aggregate_durations", $"""
                SELECT {Hour},
                       CASE WHEN duration_ms < 1 THEN 0 ELSE least(400, 1 + CAST(floor(ln(duration_ms) / ln(1.1D)) AS INT)) END AS bucket,
                       count(*) AS events
                FROM {_table} WHERE {where} AND duration_ms IS NOT NULL AND NOT isnan(duration_ms) GROUP BY 1, 2
                """, parameters, cancellationToken).ConfigureAwait(false);
            durations.AddRange(result.Rows.Select(row => new HourlyDurationBucket(HourOf(Long(result, row, "hour_index")), (int)Long(result, row, "bucket"), Long(result, row, "events"))));
        }

        return new UsageAggregates(hourly, users, sessions, durations);
    }

    private static DateTimeOffset HourOf(long index) => DateTimeOffset.FromUnixTimeSeconds(index * 3600);

    private static DateOnly DayOf(long index) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)index);
}
