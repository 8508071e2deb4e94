namespace UsageTracking.Analytics;

/// <summary>
/// The one read side: every stat, panel, report and alert figure is computed here, the same way for every store, from
/// <see cref="UsageAggregates"/> — asked of the store's <see cref="IUsageAggregates"/> when it has them and the range allows,
/// otherwise folded from the events its <see cref="IUsageReader"/> reads back.
/// </summary>
public sealed class UsageAnalytics
{
    private const int TopUserCount = 10;
    private readonly IUsageReader _reader;
    private readonly IUsageAggregates? _aggregates;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<FunnelDefinition> _funnels;
    private readonly IUsageFunnelCounts? _funnelCounts;

    /// <summary>Reads through <paramref name="reader"/>, and through <paramref name="aggregates"/> where they answer.</summary>
    /// <param name="reader">Reads events back.</param>
    /// <param name="aggregates">The store's aggregates; null only for a store that has none (every figure is then folded from events).</param>
    /// <param name="time">The clock; the system clock by default.</param>
    /// <param name="funnels">The funnels of <see cref="UsageTrackingOptions.Funnels"/>, shown on the dashboards of their apps.</param>
    /// <param name="funnelCounts">The store's own funnel counts, where it keeps them; null to count every funnel from its steps' events.</param>
    public UsageAnalytics(IUsageReader reader, IUsageAggregates? aggregates, TimeProvider? time = null, IReadOnlyList<FunnelDefinition>? funnels = null,
        IUsageFunnelCounts? funnelCounts = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _aggregates = aggregates;
        _time = time ?? TimeProvider.System;
        _funnels = funnels ?? [];
        _funnelCounts = funnelCounts;
    }

    /// <summary>Whether the store answers aggregates itself (fast at any size) rather than having every event read back.</summary>
    public bool HasAggregates => _aggregates is not null;

    /// <summary>
    /// The aggregates for a range: the store's own, or folded from its events (always so with a user filter, since no
    /// store keeps per-user hourly rows).
    /// </summary>
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, AggregateParts parts = AggregateParts.All, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_aggregates is not null && query.User is null)
        {
            return await _aggregates.GetAggregatesAsync(query, parts, cancellationToken).ConfigureAwait(false);
        }

        return await FoldAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Totals, distinct users, errors, events by action and by day. Exact for any range: whole UTC days
    /// (<see cref="UsageQuery.WholeDays"/>) come from the aggregates, anything else from the events in the range.
    /// </summary>
    public async Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var aggregates = query.WholeDays(_time.GetUtcNow()) is not null
            ? await GetAggregatesAsync(query, AggregateParts.Hourly | AggregateParts.Users, cancellationToken).ConfigureAwait(false)
            : await FoldAsync(query, cancellationToken).ConfigureAwait(false);
        return Stats(query, aggregates);
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
        var all = await GetAggregatesAsync(new UsageQuery(since, until, query.AppName, query.User), AggregateParts.All, cancellationToken).ConfigureAwait(false);
        var table = await _reader.GetExtentAsync(query.AppName, cancellationToken).ConfigureAwait(false);
        var funnels = new List<FunnelCounts>();
        foreach (var funnel in _funnels.Where(f => f.AppliesTo(query.AppName)))
        {
            funnels.Add(await CountFunnelAsync(funnel, new UsageQuery(query.Since, query.Until, query.AppName, query.User), cancellationToken).ConfigureAwait(false));
        }

        return Compute(query, all, now, table) with { Funnels = funnels };
    }

    /// <summary>
    /// A funnel over the whole UTC days <paramref name="query"/> covers (<see cref="FunnelDefinition"/> says how each unit
    /// counts): from the store's own counts when it keeps this funnel's steps (<see cref="IUsageFunnelCounts"/>; a few rows at
    /// any size), else from its steps' events, which read every row of those steps in the range.
    /// </summary>
    public async Task<FunnelCounts> CountFunnelAsync(FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        ArgumentNullException.ThrowIfNull(query);
        var days = query.CoveringDays();
        if (query.User is null && _funnelCounts is not null
            && await _funnelCounts.CountFunnelAsync(funnel, days, cancellationToken).ConfigureAwait(false) is { } counted)
        {
            return new FunnelCounts(funnel.Name, funnel.CountBy, counted);
        }

        // Sessions count once a day (as the store's daily counts do), users once in the range.
        var reached = funnel.Steps.Distinct(StringComparer.Ordinal).ToDictionary(s => s, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        await foreach (var e in _reader.ReadEventsAsync(days with { Actions = funnel.Steps }, cancellationToken).ConfigureAwait(false))
        {
            var unit = funnel.CountBy == FunnelUnit.Session
                ? e.SessionId is { Length: > 0 } session ? $"{e.Timestamp.UtcDateTime:yyyy-MM-dd} {session}" : null
                : FunnelSteps.UserUnit(e);
            if (unit is not null && reached.TryGetValue(e.Action, out var units))
            {
                units.Add(unit);
            }
        }

        return new FunnelCounts(funnel.Name, funnel.CountBy, funnel.Count(action => reached[action].Count));
    }

    /// <summary>When the newest event was tracked (null for an empty table).</summary>
    public async Task<DateTimeOffset?> GetNewestAsync(string? appName, CancellationToken cancellationToken = default) =>
        (await _reader.GetLatestAsync(appName, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault()?.Timestamp;

    /// <summary>The live update: today's counts and the newest events.</summary>
    public async Task<LiveSnapshot> GetLiveAsync(string? appName, int latest = 10, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var today = await GetAggregatesAsync(new UsageQuery(midnight, now.AddTicks(1), appName), AggregateParts.Hourly | AggregateParts.Users, cancellationToken).ConfigureAwait(false);
        var newest = await _reader.GetLatestAsync(appName, latest, cancellationToken).ConfigureAwait(false);
        var hourStart = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var thisHour = today.Hourly.Where(h => h.Hour == hourStart).Sum(h => h.Events);
        return new LiveSnapshot(now, today.Hourly.Sum(h => h.Events), today.Hourly.Sum(h => h.Errors), newest.Select(Latest).ToList())
        {
            ActiveUsersToday = today.Users.Where(u => u.Events > 0).Select(u => u.User).Distinct(StringComparer.Ordinal).LongCount(),
            EventsPerMinute = Math.Round(thisHour / Math.Max(1.0, (now - hourStart).TotalMinutes), 2),
        };
    }

    private async Task<UsageAggregates> FoldAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        var builder = new AggregateBuilder();
        await foreach (var e in _reader.ReadEventsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }

        return builder.Build();
    }

    private static UsageStats Stats(UsageQuery query, UsageAggregates aggregates)
    {
        var firstDay = DateOnly.FromDateTime(query.Since.UtcDateTime);
        var lastDay = DateOnly.FromDateTime(query.Until.AddTicks(-1).UtcDateTime);
        var users = aggregates.Users.Where(u => u.Day >= firstDay && u.Day <= lastDay && u.Events > 0).ToList();
        var byAction = aggregates.Hourly.Where(h => h.Hour < query.Until && h.Hour.AddHours(1) > query.Since)
            .GroupBy(h => h.Action, StringComparer.Ordinal)
            .Select(g => new ActionCount(g.Key, g.Sum(h => h.Events)))
            .Where(a => a.Count > 0)
            .OrderByDescending(a => a.Count).ThenBy(a => a.Action, StringComparer.Ordinal).ToList();
        var byDay = users.GroupBy(u => u.Day).OrderBy(g => g.Key)
            .Select(g => new DayCount(g.Key, g.Sum(u => u.Events), g.Select(u => u.User).Distinct(StringComparer.Ordinal).LongCount())).ToList();
        return new UsageStats(query.Since, query.Until, query.AppName, query.User,
            users.Sum(u => u.Events), users.Select(u => u.User).Distinct(StringComparer.Ordinal).LongCount(), users.Sum(u => u.Errors), byAction, byDay);
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
        var errors = hourly.Sum(h => h.Errors);
        var (p50, p95, p99) = DurationBuckets.Percentiles(all.Durations.Where(d => InRange(d.Hour)));

        long ActiveUsers(int days) => all.Users.Where(u => u.Day > today.AddDays(-days) && u.Day <= today).Select(u => u.User).Distinct().LongCount();

        var kpis = new DashboardKpis(
            ActiveUsers(1), ActiveUsers(7), ActiveUsers(30),
            all.Hourly.Where(h => DateOnly.FromDateTime(h.Hour.UtcDateTime) == today).Sum(h => h.Events),
            events, errors, events == 0 ? 0 : (double)errors / events, p50, p95, p99,
            hourly.Sum(h => h.InputTokens), hourly.Sum(h => h.OutputTokens), hourly.Sum(h => h.CostUsd))
        {
            DurationAverage = Mean(hourly),
        };

        var byDay = query.Until - query.Since > TimeSpan.FromDays(7);
        DateTimeOffset Bucket(DateTimeOffset hour) => byDay ? new DateTimeOffset(hour.UtcDateTime.Date, TimeSpan.Zero) : hour;

        var durations = all.Durations.Where(d => InRange(d.Hour)).ToLookup(d => Bucket(d.Hour));
        var buckets = hourly.GroupBy(h => Bucket(h.Hour)).OrderBy(g => g.Key).ToList();
        var latency = buckets.Select(g =>
        {
            var (b50, b95, b99) = DurationBuckets.Percentiles(durations[g.Key]);
            return new LatencyPoint(g.Key, Mean(g), b50, b95, b99);
        }).Where(p => p.Average is not null).ToList();

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
            buckets.Select(g => new TimePoint(g.Key, g.Sum(h => h.Events))).ToList(),
            byDay ? "day" : "hour",
            hourly.GroupBy(h => h.Action).Select(g => new NamedCount(g.Key, g.Sum(h => h.Events)))
                .OrderByDescending(a => a.Count).ThenBy(a => a.Name, StringComparer.Ordinal).ToList(),
            hourly.Where(h => h.Errors > 0).GroupBy(h => (At: Bucket(h.Hour), Type: UsageErrors.TypeOf(h.Action)))
                .OrderBy(g => g.Key.At).ThenBy(g => g.Key.Type, StringComparer.Ordinal).Select(g => new ErrorPoint(g.Key.At, g.Key.Type, g.Sum(h => h.Errors))).ToList(),
            heatmap,
            users.GroupBy(u => u.User).Select(g => new UserActivity(g.Key, g.Sum(u => u.Events), g.Sum(u => u.Errors)))
                .OrderByDescending(u => u.Events).ThenBy(u => u.User, StringComparer.Ordinal).Take(TopUserCount).ToList(),
            UsageActions.Funnel.Select((action, i) => new FunnelStep(i + 1, action,
                all.Sessions.Where(s => s.Action == action && DayInRange(s.Day)).Sum(s => s.Sessions))).ToList(),
            hourly.Where(h => h.Model.Length > 0).GroupBy(h => h.Model)
                .Select(g => new ModelUsage(g.Key, g.Sum(h => h.Events), g.Sum(h => h.InputTokens), g.Sum(h => h.OutputTokens), g.Sum(h => h.CostUsd))
                {
                    AverageLatencyMs = Mean(g),
                    OutputTokensPerSecond = TokensPerSecond(g),
                    AverageTimeToFirstTokenMs = g.Sum(h => h.TtftCount) is > 0 and var n ? Math.Round(g.Sum(h => h.TtftSum) / n, 1) : null,
                })
                .OrderByDescending(m => m.CostUsd).ThenBy(m => m.Model, StringComparer.Ordinal).ToList(),
            table)
        {
            ResponseTimeOverTime = latency,
            CostOverTime = buckets.Select(g => new CostPoint(g.Key, g.Sum(h => h.CostUsd))).ToList(),
            Conversations = Conversations(hourly,
                all.MessageLengths.Where(m => DayInRange(m.Day)).ToList(), all.ConversationDurations.Where(c => DayInRange(c.Day)).ToList()),
        };
    }

    private static ConversationSummary Conversations(List<HourlyActivity> hourly, List<DailyMessageLength> lengths, List<DailyConversationDuration> durations)
    {
        long Count(string action) => hourly.Where(h => h.Action == action).Sum(h => h.Events);
        var perDay = hourly.Where(h => h.Action == Actions.NewConversation)
            .GroupBy(h => new DateTimeOffset(h.Hour.UtcDateTime.Date, TimeSpan.Zero)).OrderBy(g => g.Key)
            .Select(g => new TimePoint(g.Key, g.Sum(h => h.Events))).ToList();

        // Every bucket is listed once there is anything to show, empty ones as 0, so the chart's axis is the same every time.
        static List<NamedCount> Distribution(IReadOnlyList<string> labels, IEnumerable<(int Bucket, long Count)> rows)
        {
            var counts = new long[labels.Count];
            foreach (var (bucket, count) in rows)
            {
                counts[Math.Clamp(bucket, 0, labels.Count - 1)] += count;
            }

            return counts.Sum() == 0 ? [] : labels.Select((label, i) => new NamedCount(label, counts[i])).ToList();
        }

        var conversations = durations.Sum(d => d.Conversations);
        var messages = lengths.Sum(m => m.Messages);
        return new ConversationSummary(perDay, Count(Actions.NewConversation), Count(Actions.NewReply), Count(Actions.ThumbsUp), Count(Actions.ThumbsDown))
        {
            Durations = Distribution(ConversationBuckets.DurationLabels, durations.Select(d => (d.Bucket, d.Conversations))),
            AverageDurationSeconds = conversations == 0 ? null : Math.Round(durations.Sum(d => d.Seconds) / conversations, 1),
            MessageLengths = Distribution(ConversationBuckets.MessageLengthLabels, lengths.Select(m => (m.Bucket, m.Messages))),
            AverageMessageLength = messages == 0 ? null : Math.Round((double)lengths.Sum(m => m.Characters) / messages, 1),
        };
    }

    private static double? Mean(IEnumerable<HourlyActivity> rows)
    {
        long count = 0;
        double sum = 0;
        foreach (var row in rows)
        {
            count += row.DurationCount;
            sum += row.DurationSum;
        }

        return count == 0 ? null : Math.Round(sum / count, 1);
    }

    // Only rows whose every call carried a duration: tokens of calls without one would inflate the rate.
    private static double? TokensPerSecond(IEnumerable<HourlyActivity> rows)
    {
        var timed = rows.Where(r => r.DurationCount > 0 && r.DurationCount == r.Events).ToList();
        var seconds = timed.Sum(r => r.DurationSum) / 1000;
        return seconds <= 0 ? null : Math.Round(timed.Sum(r => r.OutputTokens) / seconds, 1);
    }
}
