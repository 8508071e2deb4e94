namespace UsageTracking.Analytics;

/// <summary>Events of one action (and model) in one UTC hour.</summary>
/// <param name="Hour">The hour's start, UTC.</param>
/// <param name="Action">The action.</param>
/// <param name="Model">The model of <c>token_usage</c> events, else empty.</param>
/// <param name="Events">Events.</param>
/// <param name="Errors">Of those, errors (<see cref="UsageErrors"/>).</param>
/// <param name="DurationCount">Events that carried a duration.</param>
/// <param name="DurationSum">Their durations, summed, in milliseconds.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in US dollars.</param>
public sealed record HourlyActivity(DateTimeOffset Hour, string Action, string Model, long Events, long Errors, long DurationCount, double DurationSum, long InputTokens, long OutputTokens, decimal CostUsd)
{
    /// <summary>Events that carried a time to first token (<c>properties.ttft_ms</c> of <see cref="Actions.TokenUsage"/>).</summary>
    public long TtftCount { get; init; }

    /// <summary>Their times to first token, summed, in milliseconds.</summary>
    public double TtftSum { get; init; }
}

/// <summary>One user's events on one UTC day.</summary>
public sealed record DailyUserActivity(DateOnly Day, string User, long Events, long Errors);

/// <summary>Distinct sessions that reached one step of the SQL editing funnel on one UTC day.</summary>
public sealed record DailySessionStep(DateOnly Day, string Action, long Sessions);

/// <summary>Events whose duration fell in one <see cref="DurationBuckets"/> bucket in one UTC hour.</summary>
public sealed record HourlyDurationBucket(DateTimeOffset Hour, int Bucket, long Events);

/// <summary>Chat messages on one UTC day whose length fell in one <see cref="ConversationBuckets.MessageLength"/> bucket.</summary>
/// <param name="Day">The day, UTC.</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Messages">Messages (<see cref="Actions.NewConversation"/> and <see cref="Actions.NewReply"/> with <c>properties.message_length</c>).</param>
/// <param name="Characters">Their lengths, summed.</param>
public sealed record DailyMessageLength(DateOnly Day, int Bucket, long Messages, long Characters);

/// <summary>Conversations whose first message fell on one UTC day and whose duration fell in one <see cref="ConversationBuckets.Duration"/> bucket.</summary>
/// <param name="Day">The day of the first message, UTC.</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Conversations">Conversations (one per <c>session_id</c> of the chat message actions).</param>
/// <param name="Seconds">Their durations, first message to last, summed.</param>
public sealed record DailyConversationDuration(DateOnly Day, int Bucket, long Conversations, double Seconds);

/// <summary>
/// Everything the dashboard, report and alerts need, pre-aggregated: the same shape from every store, so the panels are
/// computed once, in <see cref="UsageAnalytics"/>. A store that keeps rollups returns them; otherwise they are built from events.
/// </summary>
public sealed record UsageAggregates(
    IReadOnlyList<HourlyActivity> Hourly,
    IReadOnlyList<DailyUserActivity> Users,
    IReadOnlyList<DailySessionStep> Sessions,
    IReadOnlyList<HourlyDurationBucket> Durations)
{
    /// <summary>Chat message lengths per day.</summary>
    public IReadOnlyList<DailyMessageLength> MessageLengths { get; init; } = [];

    /// <summary>Conversation durations per day of their first message.</summary>
    public IReadOnlyList<DailyConversationDuration> ConversationDurations { get; init; } = [];
}

/// <summary>
/// The fixed buckets of the conversations panel, and the rules that fill them: which actions are messages and where a
/// message's length and an LLM call's time to first token are read from. Every store buckets with these bounds.
/// </summary>
public static class ConversationBuckets
{
    /// <summary>The actions that are a user's chat message; their <c>session_id</c> is the conversation.</summary>
    public static IReadOnlyList<string> MessageActions { get; } = [Actions.NewConversation, Actions.NewReply];

    /// <summary>The property holding a message's length in characters.</summary>
    public const string MessageLengthKey = "message_length";

    /// <summary>The property holding an LLM call's time to first token in milliseconds (<see cref="Actions.TokenUsage"/>).</summary>
    public const string TimeToFirstTokenKey = "ttft_ms";

    /// <summary>Upper bounds (exclusive) of the message length buckets, in characters; the last bucket is open.</summary>
    public static IReadOnlyList<double> MessageLength { get; } = [50, 200, 500, 1000];

    /// <summary>Upper bounds (exclusive) of the conversation duration buckets, in seconds; the last bucket is open.</summary>
    public static IReadOnlyList<double> Duration { get; } = [60, 300, 900, 3600];

    /// <summary>The labels of the message length buckets.</summary>
    public static IReadOnlyList<string> MessageLengthLabels { get; } = ["under 50", "50–199", "200–499", "500–999", "1,000 or more"];

    /// <summary>The labels of the conversation duration buckets.</summary>
    public static IReadOnlyList<string> DurationLabels { get; } = ["under 1 min", "1–5 min", "5–15 min", "15–60 min", "1 h or more"];

    /// <summary>Whether an action is a chat message.</summary>
    public static bool IsMessage(string action) => action is Actions.NewConversation or Actions.NewReply;

    /// <summary>The bucket of <paramref name="value"/>: the first whose bound it is below, else the last.</summary>
    public static int Of(double value, IReadOnlyList<double> bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var i = 0;
        while (i < bounds.Count && value >= bounds[i])
        {
            i++;
        }

        return i;
    }

    /// <summary>The same rule in SQL: a CASE over <paramref name="expression"/> with the bounds inlined (they are constants).</summary>
    public static string SqlCase(string expression, IReadOnlyList<double> bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var whens = string.Concat(bounds.Select((b, i) => $" WHEN {expression} < {b.ToString(System.Globalization.CultureInfo.InvariantCulture)} THEN {i}"));
        return $"CASE{whens} ELSE {bounds.Count} END";
    }

    /// <summary>The SQL list of <see cref="MessageActions"/> (constants, not user input).</summary>
    public static string SqlMessageActions => string.Join(", ", MessageActions.Select(a => $"'{a}'"));
}

/// <summary>
/// Durations in logarithmic buckets 10 % wide, so percentiles come from a few hundred counters per day instead of
/// every event; a percentile is reported as its bucket's geometric middle, within 5 % of the exact value.
/// </summary>
public static class DurationBuckets
{
    private static readonly double LogBase = Math.Log(1.1);

    /// <summary>Bucket 0 holds durations under 1 ms; bucket b ≥ 1 holds [1.1^(b-1), 1.1^b) ms.</summary>
    public static int Of(double milliseconds) =>
        !double.IsFinite(milliseconds) || milliseconds < 1 ? 0 : Math.Min(400, 1 + (int)Math.Floor(Math.Log(milliseconds) / LogBase));

    /// <summary>The value reported for a bucket.</summary>
    public static double Middle(int bucket) => bucket <= 0 ? 0.5 : Math.Pow(1.1, bucket - 0.5);

    /// <summary>Nearest-rank p50, p95 and p99 over a histogram, each reported as its bucket's middle (null without durations).</summary>
    public static (double? P50, double? P95, double? P99) Percentiles(IEnumerable<HourlyDurationBucket> buckets)
    {
        var counts = buckets.GroupBy(b => b.Bucket).Select(g => (Bucket: g.Key, Events: g.Sum(b => b.Events))).OrderBy(b => b.Bucket).ToList();
        var total = counts.Sum(c => c.Events);
        if (total == 0)
        {
            return (null, null, null);
        }

        double At(double p)
        {
            var rank = (long)Math.Ceiling(p * total);
            long seen = 0;
            foreach (var (bucket, n) in counts)
            {
                seen += n;
                if (seen >= rank)
                {
                    return Math.Round(DurationBuckets.Middle(bucket), 1);
                }
            }

            return Math.Round(DurationBuckets.Middle(counts[^1].Bucket), 1);
        }

        return (At(0.50), At(0.95), At(0.99));
    }
}

/// <summary>The SQL editing funnel's steps.</summary>
public static class UsageActions
{
    /// <summary>The funnel's steps, in order.</summary>
    public static IReadOnlyList<string> Funnel { get; } = [Actions.GenerateQuestion, Actions.SqlQuery, Actions.EditSql, Actions.ExecuteSql, Actions.DownloadResults];
}
