namespace UsageTracking.Analytics;

/// <summary>
/// The store-independent query layer under the dashboard, the report and the alerts: asks the store for
/// <see cref="UsageAggregates"/> (from its rollups when it keeps them, otherwise by reading events back) and computes
/// every panel from them the same way for every store.
/// </summary>
public sealed class UsageAnalytics
{
    private const int TopUserCount = 10;
    private readonly IUsageStore _store;
    private readonly TimeProvider _time;

    /// <summary>Reads through <paramref name="store"/>.</summary>
    public UsageAnalytics(IUsageStore store, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether the store answers from rollups (fast at any size) rather than by reading every event.</summary>
    public bool HasRollups => _store is IUsageAggregateSource;

    /// <summary>The aggregates for a range: from the store's rollups, or folded from its events (always so with a user filter).</summary>
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_store is IUsageAggregateSource source && query.User is null)
        {
            return await source.GetAggregatesAsync(query, cancellationToken).ConfigureAwait(false);
        }

        var builder = new AggregateBuilder();
        await foreach (var e in _store.ReadEventsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }

        return builder.Build();
    }

    /// <summary>Every panel for <paramref name="query"/>.</summary>
    public async Task<Dashboard> GetDashboardAsync(DashboardQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = _time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var monthStart = new DateTimeOffset(today.AddDays(-29).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var since = query.Since < monthStart ? query.Since : monthStart;
        var until = query.Until > now ? query.Until : now.AddTicks(1);
        var all = await GetAggregatesAsync(new UsageQuery(since, until, query.AppName, query.User), cancellationToken).ConfigureAwait(false);
        var table = _store is IUsageAggregateSource source ? await source.GetExtentAsync(query.AppName, cancellationToken).ConfigureAwait(false) : null;
        return Compute(query, all, now, table);
    }

    /// <summary>When the newest event was tracked (null for an empty table): from the store's index, or today's events read back.</summary>
    public async Task<DateTimeOffset?> GetNewestAsync(string? appName, CancellationToken cancellationToken = default)
    {
        if (_store is IUsageAggregateSource source)
        {
            return (await source.GetLatestAsync(appName, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault()?.Timestamp;
        }

        return (await GetLiveAsync(appName, 1, cancellationToken).ConfigureAwait(false)).Latest.FirstOrDefault()?.Timestamp;
    }

    /// <summary>The live update: today's counts and the newest events.</summary>
    public async Task<LiveSnapshot> GetLiveAsync(string? appName, int latest = 10, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        if (_store is IUsageAggregateSource source)
        {
            var today = await source.GetAggregatesAsync(new UsageQuery(midnight, now.AddTicks(1), appName), cancellationToken).ConfigureAwait(false);
            var newest = await source.GetLatestAsync(appName, latest, cancellationToken).ConfigureAwait(false);
            return new LiveSnapshot(now, today.Hourly.Sum(h => h.Events), today.Hourly.Where(h => UsageActions.IsError(h.Action)).Sum(h => h.Events),
                newest.Select(Latest).ToList());
        }

        var events = new List<UsageEvent>();
        await foreach (var e in _store.ReadEventsAsync(new UsageQuery(midnight, now.AddTicks(1), appName), cancellationToken).ConfigureAwait(false))
        {
            events.Add(e);
        }

        return new LiveSnapshot(now, events.Count, events.Count(e => UsageActions.IsError(e.Action)),
            events.OrderByDescending(e => e.Timestamp).Take(latest).Select(Latest).ToList());
    }

    private static LatestEvent Latest(UsageEvent e) => new(e.Timestamp, e.AppName ?? "", e.User ?? "", e.Action, e.DurationMs);

    internal static Dashboard Compute(DashboardQuery query, UsageAggregates all, DateTimeOffset now, TableExtent? table)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var firstDay = DateOnly.FromDateTime(query.Since.UtcDateTime);
        var lastDay = DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime);
        bool InRange(DateTimeOffset hour) => hour >= query.Since && hour < query.Until;
        bool DayInRange(DateOnly day) => day >= firstDay && day <= lastDay;

        var hourly = all.Hourly.Where(h => InRange(h.Hour)).ToList();
        var users = all.Users.Where(u => DayInRange(u.Day)).ToList();
        var events = hourly.Sum(h => h.Events);
        var errors = hourly.Where(h => UsageActions.IsError(h.Action)).Sum(h => h.Events);
        var (p50, p95, p99) = DurationBuckets.Percentiles(all.Durations.Where(d => InRange(d.Hour)));

        long ActiveUsers(int days) => all.Users.Where(u => u.Day > today.AddDays(-days) && u.Day <= today).Select(u => u.User).Distinct().LongCount();

        var kpis = new DashboardKpis(
            ActiveUsers(1), ActiveUsers(7), ActiveUsers(30),
            all.Hourly.Where(h => DateOnly.FromDateTime(h.Hour.UtcDateTime) == today).Sum(h => h.Events),
            events, errors, events == 0 ? 0 : (double)errors / events, p50, p95, p99,
            hourly.Sum(h => h.InputTokens), hourly.Sum(h => h.OutputTokens), hourly.Sum(h => h.CostUsd));

        var byDay = query.Until - query.Since > TimeSpan.FromDays(7);
        DateTimeOffset Bucket(DateTimeOffset hour) => byDay ? new DateTimeOffset(hour.UtcDateTime.Date, TimeSpan.Zero) : hour;

        var heatmap = Enumerable.Range(0, 7).Select(_ => new long[24]).ToArray();
        foreach (var h in hourly)
        {
            heatmap[((int)h.Hour.DayOfWeek + 6) % 7][h.Hour.Hour] += h.Events;
        }

        return new Dashboard(
            query,
            now,
            kpis,
            users.GroupBy(u => u.Day).OrderBy(g => g.Key)
                .Select(g => new TimePoint(new DateTimeOffset(g.Key.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), g.Select(u => u.User).Distinct().LongCount())).ToList(),
            hourly.GroupBy(h => Bucket(h.Hour)).OrderBy(g => g.Key).Select(g => new TimePoint(g.Key, g.Sum(h => h.Events))).ToList(),
            byDay ? "day" : "hour",
            hourly.GroupBy(h => h.Action).Select(g => new NamedCount(g.Key, g.Sum(h => h.Events)))
                .OrderByDescending(a => a.Count).ThenBy(a => a.Name, StringComparer.Ordinal).ToList(),
            hourly.Where(h => UsageActions.IsError(h.Action)).GroupBy(h => (At: Bucket(h.Hour), Type: UsageActions.ErrorType(h.Action)))
                .OrderBy(g => g.Key.At).ThenBy(g => g.Key.Type, StringComparer.Ordinal).Select(g => new ErrorPoint(g.Key.At, g.Key.Type, g.Sum(h => h.Events))).ToList(),
            heatmap,
            users.GroupBy(u => u.User).Select(g => new UserActivity(g.Key, g.Sum(u => u.Events), g.Sum(u => u.Errors)))
                .OrderByDescending(u => u.Events).ThenBy(u => u.User, StringComparer.Ordinal).Take(TopUserCount).ToList(),
            UsageActions.Funnel.Select((action, i) => new FunnelStep(i + 1, action,
                all.Sessions.Where(s => s.Action == action && DayInRange(s.Day)).Sum(s => s.Sessions))).ToList(),
            hourly.Where(h => h.Model.Length > 0).GroupBy(h => h.Model)
                .Select(g => new ModelUsage(g.Key, g.Sum(h => h.Events), g.Sum(h => h.InputTokens), g.Sum(h => h.OutputTokens), g.Sum(h => h.CostUsd)))
                .OrderByDescending(m => m.CostUsd).ThenBy(m => m.Model, StringComparer.Ordinal).ToList(),
            table);
    }
}
