using UsageTracking.Analytics;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Each part is one GROUP BY statement on the warehouse, so a dashboard over any size of table moves little: hours and
    /// days are counted from <c>unix_seconds</c>, which no session time zone shifts. The three large parts come back
    /// packed — one row per action and model, per user, per hour, holding its groups as one string
    /// (<c>concat_ws(';', collect_list(concat_ws(',', …)))</c>: numbers only, so no separator can occur inside) —
    /// because INLINE results are JSON arrays of quoted strings, where a row's names and quotes cost more than its numbers.
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
        var hours = query.CoveringHours() with { User = null };
        var days = query.CoveringDays() with { User = null };
        bool Has(string column) => columns.Contains(column);
        var error = Has("is_error") ? "coalesce(is_error, instr(action, '_error') > 0)" : "instr(action, '_error') > 0";
        const string Hour = "CAST(floor(unix_seconds(timestamp) / 3600) AS BIGINT) AS hour_index";
        var dayIndex = DayIndex("timestamp");

        var hourly = new List<HourlyActivity>();
        if (parts.HasFlag(AggregateParts.Hourly))
        {
            var extended = Has("duration_ms") && Has("input_tokens");
            var (where, parameters) = Where(hours);
            // Hours as offsets from the range's first (three digits, not six) and sums to the microsecond: the hourly part is
            // the largest of the dashboard's results, and these are most of its bytes.
            var firstHour = hours.Since.ToUnixTimeSeconds() / 3600;
            parameters.Add(new StatementParameter("first_hour", firstHour.ToString(System.Globalization.CultureInfo.InvariantCulture), "BIGINT"));
            var ttft = Has("properties")
                ? $"CASE WHEN action = '{Actions.TokenUsage}' AND {Number(ConversationBuckets.TimeToFirstTokenKey)} >= 0 THEN {Number(ConversationBuckets.TimeToFirstTokenKey)} END"
                : "CAST(NULL AS DOUBLE)";
            // Each hour as "hour offset,events,errors,duration_count,duration_sum,input_tokens,output_tokens,cost,ttft_count,ttft_sum"
            // (cost and the time to first token empty when 0).
            var result = await RunAsync("aggregate_hourly", $"""
                SELECT action, model, concat_ws(';', collect_list(concat_ws(',', CAST(hour_index - :first_hour AS STRING), CAST(events AS STRING), CAST(errors AS STRING),
                       CAST(duration_count AS STRING), CAST(round(duration_sum, 3) AS STRING), CAST(input_tokens AS STRING), CAST(output_tokens AS STRING),
                       if(cost_usd = 0, '', CAST(cost_usd AS STRING)), if(ttft_count = 0, '', CAST(ttft_count AS STRING)),
                       if(ttft_count = 0, '', CAST(round(ttft_sum, 3) AS STRING))))) AS hours
                FROM (SELECT {Hour}, action, {(Has("model") ? "coalesce(model, '')" : "''")} AS model, count(*) AS events,
                             count_if({error}) AS errors,
                             {(extended
                                 ? "count(duration_ms) AS duration_count, coalesce(sum(duration_ms), 0D) AS duration_sum, coalesce(sum(input_tokens), 0L) AS input_tokens, coalesce(sum(output_tokens), 0L) AS output_tokens, coalesce(sum(cost_usd), 0BD) AS cost_usd"
                                 : "0L AS duration_count, 0D AS duration_sum, 0L AS input_tokens, 0L AS output_tokens, 0BD AS cost_usd")},
                             count({ttft}) AS ttft_count, coalesce(sum({ttft}), 0D) AS ttft_sum
                      FROM {_table} WHERE {where} GROUP BY 1, 2, 3)
                GROUP BY action, model
                """, parameters, cancellationToken).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                var action = result.Value(row, "action") as string ?? "";
                var model = result.Value(row, "model") as string ?? "";
                foreach (var f in Packed(result.Value(row, "hours") as string, 10))
                {
                    hourly.Add(new HourlyActivity(HourOf(firstHour + PackedLong(f[0])), action, model, PackedLong(f[1]), PackedLong(f[2]), PackedLong(f[3]), PackedDouble(f[4]),
                        PackedLong(f[5]), PackedLong(f[6]), PackedDecimal(f[7])) { TtftCount = PackedLong(f[8]), TtftSum = PackedDouble(f[9]) });
                }
            }
        }

        var users = new List<DailyUserActivity>();
        if (parts.HasFlag(AggregateParts.Users))
        {
            var (where, parameters) = Where(days);
            // Each day of a user as "day,events,errors".
            var result = await RunAsync("aggregate_users", $"""
                SELECT user, concat_ws(';', collect_list(concat_ws(',', CAST(day_index AS STRING), CAST(events AS STRING), CAST(errors AS STRING)))) AS days
                FROM (SELECT {dayIndex}, user, count(*) AS events, count_if({error}) AS errors FROM {_table} WHERE {where} GROUP BY 1, 2)
                GROUP BY user
                """, parameters, cancellationToken).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                var user = result.Value(row, "user") as string ?? "";
                users.AddRange(Packed(result.Value(row, "days") as string, 3).Select(f => new DailyUserActivity(DayOf(PackedLong(f[0])), user, PackedLong(f[1]), PackedLong(f[2]))));
            }
        }

        var sessions = new List<DailySessionStep>();
        if (parts.HasFlag(AggregateParts.Sessions) && Has("session_id"))
        {
            var (where, parameters) = Where(days);
            var funnel = string.Join(", ", UsageActions.Funnel.Select(a => $"'{a}'"));
            var result = await RunAsync("aggregate_sessions", $"""
                SELECT {dayIndex}, action, count(DISTINCT session_id) AS sessions FROM {_table}
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
            // Each bucket of an hour as "bucket,events".
            var result = await RunAsync("aggregate_durations", $"""
                SELECT hour_index, concat_ws(';', collect_list(concat_ws(',', CAST(bucket AS STRING), CAST(events AS STRING)))) AS buckets
                FROM (SELECT {Hour},
                             CASE WHEN duration_ms < 1 THEN 0 ELSE least(400, 1 + CAST(floor(ln(duration_ms) / ln(1.1D)) AS INT)) END AS bucket,
                             count(*) AS events
                      FROM {_table} WHERE {where} AND duration_ms IS NOT NULL AND NOT isnan(duration_ms) GROUP BY 1, 2)
                GROUP BY hour_index
                """, parameters, cancellationToken).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                var hour = HourOf(Long(result, row, "hour_index"));
                durations.AddRange(Packed(result.Value(row, "buckets") as string, 2).Select(f => new HourlyDurationBucket(hour, (int)PackedLong(f[0]), PackedLong(f[1]))));
            }
        }

        var messages = new List<DailyMessageLength>();
        var conversations = new List<DailyConversationDuration>();
        if (parts.HasFlag(AggregateParts.Conversations) && Has("session_id") && Has("properties"))
        {
            var (where, parameters) = Where(days);
            var actions = $"action IN ({ConversationBuckets.SqlMessageActions})";
            // Both in one statement: message lengths per day and bucket, and conversations per day of their first message and
            // duration bucket — as far as the range's rows tell (a conversation begun before the range starts at its first row in it).
            var result = await RunAsync("aggregate_conversations", $"""
                SELECT 'messages' AS kind, {DayIndex("timestamp")}, {ConversationBuckets.SqlCase("length", ConversationBuckets.MessageLength)} AS bucket,
                       count(*) AS n, CAST(sum(least(length, 2147483647D)) AS DOUBLE) AS total
                FROM (SELECT timestamp, {Number(ConversationBuckets.MessageLengthKey)} AS length FROM {_table} WHERE {where} AND {actions})
                WHERE length >= 0 GROUP BY 1, 2, 3
                UNION ALL
                SELECT 'conversations' AS kind, {DayIndex("first_at")}, {ConversationBuckets.SqlCase("seconds", ConversationBuckets.Duration)} AS bucket,
                       count(*) AS n, CAST(sum(seconds) AS DOUBLE) AS total
                FROM (SELECT min(timestamp) AS first_at, (unix_millis(max(timestamp)) - unix_millis(min(timestamp))) / 1000D AS seconds
                      FROM {_table} WHERE {where} AND {actions} AND session_id <> '' GROUP BY app_name, session_id)
                GROUP BY 1, 2, 3
                """, parameters, cancellationToken).ConfigureAwait(false);
            foreach (var row in result.Rows)
            {
                var day = DayOf(Long(result, row, "day_index"));
                var bucket = (int)Long(result, row, "bucket");
                var n = Long(result, row, "n");
                var total = result.Value(row, "total") is double t ? t : 0;
                if (result.Value(row, "kind") as string == "messages")
                {
                    messages.Add(new DailyMessageLength(day, bucket, n, (long)total));
                }
                else
                {
                    conversations.Add(new DailyConversationDuration(day, bucket, n, total));
                }
            }
        }

        return new UsageAggregates(hourly, users, sessions, durations) { MessageLengths = messages, ConversationDurations = conversations };
    }

    /// <inheritdoc />
    /// <remarks>One GROUP BY on the warehouse over the steps' rows of the query's days; nothing is kept as rows are written.</remarks>
    public async Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        ArgumentNullException.ThrowIfNull(query);
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false);
        if (columns is null)
        {
            return funnel.Count(_ => 0);
        }

        var (where, parameters) = Where(query with { User = null, Actions = funnel.Steps });
        var session = columns.Contains("session_id") ? "nullif(session_id, '')" : "CAST(NULL AS STRING)";
        var channel = columns.Contains("properties") ? $"concat('channel:', get_json_object(properties, '$.{ChatProperties.ChannelId}'))" : "CAST(NULL AS STRING)";
        // Sessions once a day, users (or a user-less step's channel) once in the range: count(DISTINCT …) skips NULLs.
        var result = await RunAsync("count_funnel", $"""
            SELECT action, count(DISTINCT day_index, session) AS sessions, count(DISTINCT unit) AS users
            FROM (SELECT action, {DayIndex("timestamp")}, {session} AS session, coalesce(nullif(user, ''), {channel}) AS unit
                  FROM {_table} WHERE {where})
            GROUP BY action
            """, parameters, cancellationToken).ConfigureAwait(false);
        var counts = result.Rows.ToDictionary(row => result.Value(row, "action") as string ?? "",
            row => Long(result, row, funnel.CountBy == FunnelUnit.User ? "users" : "sessions"), StringComparer.Ordinal);
        return funnel.Count(counts.GetValueOrDefault);
    }

    private static string DayIndex(string column) => $"CAST(floor(unix_seconds({column}) / 86400) AS BIGINT) AS day_index";

    // A number in the properties JSON, or NULL when missing, not a number, or the JSON is malformed.
    private static string Number(string key) => $"try_cast(get_json_object(properties, '$.{key}') AS DOUBLE)";

    private static DateTimeOffset HourOf(long index) => DateTimeOffset.FromUnixTimeSeconds(index * 3600);

    // A packed cell: groups separated by ';', fields by ','; a group with the wrong number of fields means the statement
    // and this reader disagree, which is said rather than read as zeros.
    private static IEnumerable<string[]> Packed(string? cell, int fields)
    {
        if (string.IsNullOrEmpty(cell))
        {
            yield break;
        }

        foreach (var group in cell.Split(';'))
        {
            var values = group.Split(',');
            if (values.Length != fields)
            {
                throw new DatabricksException("UNEXPECTED_RESULT", $"An aggregate row came back with {values.Length} fields instead of {fields}.", null, transient: false);
            }

            yield return values;
        }
    }

    private static long PackedLong(string text) => text.Length == 0 ? 0 : long.Parse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture);

    private static double PackedDouble(string text) => text.Length == 0 ? 0 : double.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    private static decimal PackedDecimal(string text) => text.Length == 0 ? 0 : decimal.Parse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    private static DateOnly DayOf(long index) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)index);
}
