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
public sealed record HourlyActivity(DateTimeOffset Hour, string Action, string Model, long Events, long Errors, long DurationCount, double DurationSum, long InputTokens, long OutputTokens, decimal CostUsd);

/// <summary>One user's events on one UTC day.</summary>
public sealed record DailyUserActivity(DateOnly Day, string User, long Events, long Errors);

/// <summary>Distinct sessions that reached one step of the SQL editing funnel on one UTC day.</summary>
public sealed record DailySessionStep(DateOnly Day, string Action, long Sessions);

/// <summary>Events whose duration fell in one <see cref="DurationBuckets"/> bucket in one UTC hour.</summary>
public sealed record HourlyDurationBucket(DateTimeOffset Hour, int Bucket, long Events);

/// <summary>
/// Everything the dashboard, report and alerts need, pre-aggregated: the same shape from every store, so the panels are
/// computed once, in <see cref="UsageAnalytics"/>. A store that keeps rollups returns them; otherwise they are built from events.
/// </summary>
public sealed record UsageAggregates(
    IReadOnlyList<HourlyActivity> Hourly,
    IReadOnlyList<DailyUserActivity> Users,
    IReadOnlyList<DailySessionStep> Sessions,
    IReadOnlyList<HourlyDurationBucket> Durations);

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

    /// <summary>Whether sessions reaching this action are counted for the funnel.</summary>
    public static bool IsFunnelStep(string action) => Funnel.Contains(action);
}
