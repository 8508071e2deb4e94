namespace UsageTracking;

/// <summary>A time range and optional filters for reading the usage table.</summary>
/// <param name="Since">Start (inclusive).</param>
/// <param name="Until">End (exclusive).</param>
/// <param name="AppName">Only this app; null for all.</param>
/// <param name="User">Only this user; null for all.</param>
public sealed record UsageQuery(DateTimeOffset Since, DateTimeOffset Until, string? AppName = null, string? User = null)
{
    /// <summary>Only events of these actions; null (the default) for all. Honoured by readers; aggregates ignore it.</summary>
    public IReadOnlyList<string>? Actions { get; init; }

    /// <summary>
    /// The last <paramref name="days"/> UTC days including today: from midnight <paramref name="days"/>−1 days ago until
    /// just after <paramref name="now"/>. Whole days, so per-day counts are complete and aggregates can answer.
    /// </summary>
    /// <param name="days">How many days, 1 or more (1 is today).</param>
    /// <param name="now">The current time.</param>
    /// <param name="appName">Only this app; null for all.</param>
    /// <param name="user">Only this user; null for all.</param>
    public static UsageQuery LastDays(int days, DateTimeOffset now, string? appName = null, string? user = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return new UsageQuery(midnight.AddDays(-(days - 1)), now.AddSeconds(1), appName, user);
    }

    /// <summary>The same query over the whole UTC hours its range overlaps (what hourly aggregates answer).</summary>
    public UsageQuery CoveringHours()
    {
        var since = Since.UtcDateTime;
        return this with { Since = new DateTimeOffset(since.Year, since.Month, since.Day, since.Hour, 0, 0, TimeSpan.Zero) };
    }

    /// <summary>The same query over the whole UTC days its range overlaps (what daily aggregates and funnels answer).</summary>
    public UsageQuery CoveringDays() => this with
    {
        Since = new DateTimeOffset(Since.UtcDateTime.Date, TimeSpan.Zero),
        Until = new DateTimeOffset(Until.AddTicks(-1).UtcDateTime.Date.AddDays(1), TimeSpan.Zero),
    };

    /// <summary>
    /// The UTC days this range covers whole, first and last inclusive, or null when it does not cover whole days: it must
    /// start at a midnight and end at a midnight or after <paramref name="now"/> (today so far is all of today there is).
    /// The one rule for which ranges per-day and per-hour aggregates answer exactly.
    /// </summary>
    /// <param name="now">The current time.</param>
    public (DateOnly First, DateOnly Last)? WholeDays(DateTimeOffset now)
    {
        var since = Since.UtcDateTime;
        var until = Until.UtcDateTime;
        var endsAtMidnight = until.TimeOfDay == TimeSpan.Zero;
        if (since.TimeOfDay != TimeSpan.Zero || until <= since || !endsAtMidnight && Until < now)
        {
            return null;
        }

        return (DateOnly.FromDateTime(since), DateOnly.FromDateTime(endsAtMidnight ? until.AddDays(-1) : until));
    }
}
