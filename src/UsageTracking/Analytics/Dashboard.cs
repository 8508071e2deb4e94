namespace UsageTracking.Analytics;

/// <summary>What the dashboard shows: a time range of whole UTC hours ending now, optionally one app and one user.</summary>
/// <param name="Since">Start (inclusive), rounded down to the hour.</param>
/// <param name="Until">End (exclusive).</param>
/// <param name="AppName">One app, or null for all.</param>
/// <param name="User">One user, or null for all.</param>
public sealed record DashboardQuery(DateTimeOffset Since, DateTimeOffset Until, string? AppName = null, string? User = null)
{
    /// <summary>The last <paramref name="range"/> up to <paramref name="now"/>, starting on a whole hour.</summary>
    public static DashboardQuery Last(TimeSpan range, DateTimeOffset now, string? appName = null, string? user = null)
    {
        var start = (now - range).UtcDateTime;
        return new DashboardQuery(new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, 0, 0, TimeSpan.Zero), now.AddTicks(1), appName, user);
    }
}

/// <summary>The headline figures.</summary>
/// <param name="ActiveUsersDay">Distinct users today (UTC).</param>
/// <param name="ActiveUsersWeek">Distinct users over the last 7 UTC days, today included.</param>
/// <param name="ActiveUsersMonth">Distinct users over the last 30 UTC days, today included.</param>
/// <param name="EventsToday">Events today (UTC).</param>
/// <param name="Events">Events in the range.</param>
/// <param name="Errors">Error events in the range.</param>
/// <param name="ErrorRate">Errors ÷ events in the range (0 when there are none).</param>
/// <param name="DurationP50">Median step duration in ms, or null without durations.</param>
/// <param name="DurationP95">95th percentile step duration in ms.</param>
/// <param name="DurationP99">99th percentile step duration in ms.</param>
/// <param name="InputTokens">Input tokens in the range.</param>
/// <param name="OutputTokens">Output tokens in the range.</param>
/// <param name="CostUsd">Estimated LLM cost in the range.</param>
public sealed record DashboardKpis(
    long ActiveUsersDay, long ActiveUsersWeek, long ActiveUsersMonth, long EventsToday, long Events, long Errors, double ErrorRate,
    double? DurationP50, double? DurationP95, double? DurationP99, long InputTokens, long OutputTokens, decimal CostUsd)
{
    /// <summary>Mean step duration in ms over the events that carried one (exact), or null without durations.</summary>
    public double? DurationAverage { get; init; }
}

/// <summary>Step durations in one time bucket: the exact mean and the histogram's percentiles (within 5 %), in ms.</summary>
public sealed record LatencyPoint(DateTimeOffset At, double? Average, double? P50, double? P95, double? P99);

/// <summary>
/// A chat app's conversations in the range, from the events by action: <see cref="Actions.NewConversation"/> and
/// <see cref="Actions.NewReply"/>, and satisfaction from <see cref="Actions.ThumbsUp"/> / <see cref="Actions.ThumbsDown"/>.
/// </summary>
/// <param name="PerDay">Conversations started per UTC day.</param>
/// <param name="Conversations">Conversations started.</param>
/// <param name="Replies">Replies.</param>
/// <param name="ThumbsUp">Thumbs up.</param>
/// <param name="ThumbsDown">Thumbs down.</param>
public sealed record ConversationSummary(IReadOnlyList<TimePoint> PerDay, long Conversations, long Replies, long ThumbsUp, long ThumbsDown)
{
    /// <summary>Replies ÷ conversations started, or null without conversations.</summary>
    public double? RepliesPerConversation => Conversations == 0 ? null : Math.Round((double)Replies / Conversations, 2);

    /// <summary>Thumbs up ÷ all thumbs, or null without any.</summary>
    public double? Satisfaction => ThumbsUp + ThumbsDown == 0 ? null : Math.Round((double)ThumbsUp / (ThumbsUp + ThumbsDown), 4);

    /// <summary>
    /// Conversations whose first message fell in the range, by duration (first message to last, so far), in the buckets of
    /// <see cref="ConversationBuckets.DurationLabels"/>; empty without conversations.
    /// </summary>
    public IReadOnlyList<NamedCount> Durations { get; init; } = [];

    /// <summary>Their mean duration in seconds, or null without conversations.</summary>
    public double? AverageDurationSeconds { get; init; }

    /// <summary>Messages in the range by length, in the buckets of <see cref="ConversationBuckets.MessageLengthLabels"/>; empty without lengths.</summary>
    public IReadOnlyList<NamedCount> MessageLengths { get; init; } = [];

    /// <summary>Mean message length in characters, or null without lengths.</summary>
    public double? AverageMessageLength { get; init; }
}

/// <summary>Estimated LLM (and unit) cost in one time bucket.</summary>
public sealed record CostPoint(DateTimeOffset At, decimal CostUsd);

/// <summary>A value at a point in time (an hour or a day, UTC).</summary>
public sealed record TimePoint(DateTimeOffset At, long Value);

/// <summary>A count with a name.</summary>
public sealed record NamedCount(string Name, long Count);

/// <summary>Errors of one type in one time bucket.</summary>
public sealed record ErrorPoint(DateTimeOffset At, string Type, long Count);

/// <summary>A user's events and errors in the range.</summary>
public sealed record UserActivity(string User, long Events, long Errors);

/// <summary>Sessions that reached a funnel step.</summary>
public sealed record FunnelStep(int Step, string Action, long Sessions);

/// <summary>One model's token use and cost.</summary>
public sealed record ModelUsage(string Model, long Calls, long InputTokens, long OutputTokens, decimal CostUsd)
{
    /// <summary>Mean latency of the calls that carried a duration (<c>TrackTokenUsage(…, durationMs)</c>), in ms; null when none did.</summary>
    public double? AverageLatencyMs { get; init; }

    /// <summary>Output tokens per second of call time, over the hours whose calls all carried a duration; null when none did.</summary>
    public double? OutputTokensPerSecond { get; init; }

    /// <summary>Mean time to first token of the calls that carried one (<see cref="TokenUsageExtras.TimeToFirstTokenMs"/>), in ms; null when none did.</summary>
    public double? AverageTimeToFirstTokenMs { get; init; }
}

/// <summary>
/// Every panel of the dashboard and the report. Hour-based panels (events over time, actions, errors, heatmap,
/// durations, models) are exact to the hour; user and funnel panels count whole UTC days.
/// </summary>
/// <param name="Query">What was asked.</param>
/// <param name="GeneratedAt">When it was computed.</param>
/// <param name="Kpis">Headline figures.</param>
/// <param name="DailyActiveUsers">Distinct users per UTC day.</param>
/// <param name="EventsOverTime">Events per hour (ranges up to 7 days) or per day.</param>
/// <param name="TimeUnit"><c>hour</c> or <c>day</c>: the bucket of <see cref="EventsOverTime"/> and <see cref="ErrorsOverTime"/>.</param>
/// <param name="PopularActions">Events by action, most first.</param>
/// <param name="ErrorsOverTime">Errors by type per bucket.</param>
/// <param name="Heatmap">Events by day of week (Monday first) × hour of day, UTC.</param>
/// <param name="TopUsers">The 10 most active users.</param>
/// <param name="Funnel">The SQL editing funnel.</param>
/// <param name="Models">Token use and cost by model.</param>
/// <param name="Table">Rows kept and the oldest row, for the retention panel (null when the store cannot say cheaply).</param>
public sealed record Dashboard(
    DashboardQuery Query,
    DateTimeOffset GeneratedAt,
    DashboardKpis Kpis,
    IReadOnlyList<TimePoint> DailyActiveUsers,
    IReadOnlyList<TimePoint> EventsOverTime,
    string TimeUnit,
    IReadOnlyList<NamedCount> PopularActions,
    IReadOnlyList<ErrorPoint> ErrorsOverTime,
    long[][] Heatmap,
    IReadOnlyList<UserActivity> TopUsers,
    IReadOnlyList<FunnelStep> Funnel,
    IReadOnlyList<ModelUsage> Models,
    TableExtent? Table)
{
    /// <summary>Step durations per bucket of <see cref="TimeUnit"/>: mean, p50, p95, p99.</summary>
    public IReadOnlyList<LatencyPoint> ResponseTimeOverTime { get; init; } = [];

    /// <summary>Cost per bucket of <see cref="TimeUnit"/>.</summary>
    public IReadOnlyList<CostPoint> CostOverTime { get; init; } = [];

    /// <summary>The funnels configured for this app (<c>UsageTracking:Funnels</c>), counted from their steps' events.</summary>
    public IReadOnlyList<FunnelCounts> Funnels { get; init; } = [];

    /// <summary>Conversations, replies and satisfaction (all zero for an app that is not a chat app).</summary>
    public ConversationSummary Conversations { get; init; } = new([], 0, 0, 0, 0);
}

/// <summary>The small, frequent update the live dashboard receives.</summary>
/// <param name="At">When it was read.</param>
/// <param name="EventsToday">Events today (UTC).</param>
/// <param name="ErrorsToday">Error events today (UTC).</param>
/// <param name="Latest">The newest events (action, user, time), newest first.</param>
public sealed record LiveSnapshot(DateTimeOffset At, long EventsToday, long ErrorsToday, IReadOnlyList<LatestEvent> Latest)
{
    /// <summary>Distinct users today (UTC).</summary>
    public long ActiveUsersToday { get; init; }

    /// <summary>Events per minute in the current UTC hour (its events ÷ the minutes gone in it, at least one).</summary>
    public double EventsPerMinute { get; init; }

    /// <summary>Errors ÷ events today (0 when there are none).</summary>
    public double ErrorRateToday => EventsToday == 0 ? 0 : (double)ErrorsToday / EventsToday;
}

/// <summary>One of the newest events, as the live feed shows it.</summary>
public sealed record LatestEvent(DateTimeOffset Timestamp, string App, string User, string Action, double? DurationMs);
