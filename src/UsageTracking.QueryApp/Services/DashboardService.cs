using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.Reporting;

namespace UsageTracking.QueryApp.Services;

/// <summary>What the dashboard page and <c>/api/metrics</c> return: the panels, the tracker's own health, the retention setting.</summary>
public sealed record MetricsSnapshot(Dashboard Dashboard, int RetentionDays, string Title, TrackerHealth Tracker)
{
    /// <summary>Levels the headline figures are coloured by (<c>Dashboard:Thresholds</c>).</summary>
    public KpiThresholds? Thresholds { get; init; }
}

/// <summary>
/// The live update pushed every second: today's counts, the newest events, and the tracker's queue, spool and losses
/// (<see cref="Dropped"/> by reason, never hidden: the page shows them as a warning).
/// </summary>
public sealed record LiveUpdate(
    LiveSnapshot Live, long QueueDepth, int SpoolFiles, long SpoolBytes, DateTimeOffset? LastSuccessfulWrite, bool CircuitOpen,
    IReadOnlyDictionary<string, long> Dropped, string? LastError, string? LastSpoolError);

/// <summary>Reads the usage table for the dashboard through <see cref="UsageAnalytics"/>, over the tracker's store's capabilities.</summary>
public sealed class DashboardService(
    UsageTracker tracker, UsageAnalytics analytics, IUsageReader reader, IOptions<UsageTrackingOptions> trackerOptions, IOptions<KpiThresholds> thresholds, TimeProvider time)
{
    /// <summary>The ranges the dashboard offers, by their short names.</summary>
    public static IReadOnlyDictionary<string, TimeSpan> Ranges { get; } = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase)
    {
        ["1h"] = TimeSpan.FromHours(1), ["6h"] = TimeSpan.FromHours(6), ["24h"] = TimeSpan.FromHours(24), ["7d"] = TimeSpan.FromDays(7),
        ["30d"] = TimeSpan.FromDays(30), ["90d"] = TimeSpan.FromDays(90), ["180d"] = TimeSpan.FromDays(180),
    };

    /// <summary>The analytics over the tracker's store.</summary>
    public UsageAnalytics Analytics => analytics;

    /// <summary>Reads the usage table's events back (for exports).</summary>
    public IUsageReader Reader => reader;

    /// <summary>Every panel for a range name (<see cref="Ranges"/>), an optional app and user.</summary>
    public async Task<MetricsSnapshot> GetAsync(TimeSpan range, string? app, string? user, CancellationToken cancellationToken)
    {
        var query = DashboardQuery.Last(range, time.GetUtcNow(), Blank(app), Blank(user));
        var dashboard = await Analytics.GetDashboardAsync(query, cancellationToken).ConfigureAwait(false);
        return new MetricsSnapshot(dashboard, trackerOptions.Value.RetentionDays, "Usage dashboard", tracker.GetHealth()) { Thresholds = thresholds.Value };
    }

    /// <summary>The live update.</summary>
    public async Task<LiveUpdate> LiveAsync(string? app, CancellationToken cancellationToken)
    {
        var live = await Analytics.GetLiveAsync(Blank(app), 10, cancellationToken).ConfigureAwait(false);
        var health = tracker.GetHealth();
        return new LiveUpdate(live, health.QueueDepth, health.SpoolFiles, health.SpoolBytes, health.LastSuccessfulWrite, health.CircuitOpen,
            health.Dropped.Where(d => d.Value > 0).ToDictionary(), health.LastError, health.LastSpoolError);
    }

    /// <summary>The document the HTML report and the page draw.</summary>
    public static DashboardDocument Document(MetricsSnapshot snapshot) => new(snapshot.Dashboard, snapshot.RetentionDays, snapshot.Title) { Thresholds = snapshot.Thresholds };

    /// <summary>A filter as typed: blank means all (null), anything else trimmed.</summary>
    internal static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
