using System.Runtime.InteropServices;

namespace UsageTracking.Analytics;

/// <summary>
/// Folds events into <see cref="UsageAggregates"/>. Used for stores without rollups (reading events back) and by stores
/// that keep rollups, to sum each written batch before adding it to their tables.
/// </summary>
public sealed class AggregateBuilder
{
    private readonly Dictionary<(DateTimeOffset Hour, string Action, string Model), Hourly> _hourly = [];
    private readonly Dictionary<(DateOnly Day, string User), (long Events, long Errors)> _users = [];
    private readonly HashSet<(DateOnly Day, string Action, string Session)> _sessions = [];
    private readonly Dictionary<(DateTimeOffset Hour, int Bucket), long> _durations = [];

    /// <summary>Events added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds one event.</summary>
    public void Add(UsageEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        // Hour and day by arithmetic on UTC ticks: this runs for every row a store writes, so no calendar work.
        var ticks = e.Timestamp.UtcTicks;
        var hour = new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        var day = DateOnly.FromDayNumber((int)(ticks / TimeSpan.TicksPerDay));
        var action = e.Action ?? "";
        ref var h = ref CollectionsMarshal.GetValueRefOrAddDefault(_hourly, (hour, action, e.Model ?? ""), out _);
        h ??= new Hourly();
        h.Events++;
        if (e.IsError)
        {
            h.Errors++;
        }

        if (e.DurationMs is { } ms && double.IsFinite(ms))
        {
            h.DurationCount++;
            h.DurationSum += ms;
            CollectionsMarshal.GetValueRefOrAddDefault(_durations, (hour, DurationBuckets.Of(ms)), out _)++;
        }

        // Sums saturate rather than overflow: one absurd value must not stop a batch from being written.
        h.InputTokens = Add(h.InputTokens, e.InputTokens);
        h.OutputTokens = Add(h.OutputTokens, e.OutputTokens);
        h.CostUsd = e.CostUsd is { } cost && cost > 0 ? (decimal.MaxValue - h.CostUsd < cost ? decimal.MaxValue : h.CostUsd + cost) : h.CostUsd;

        ref var user = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, (day, e.User ?? ""), out _);
        user = (user.Events + 1, user.Errors + (e.IsError ? 1 : 0));

        if (e.SessionId is { Length: > 0 } session && UsageActions.IsFunnelStep(action))
        {
            _sessions.Add((day, action, session));
        }

        Count++;
    }

    private static long Add(long sum, long? value) =>
        value is { } v && v > 0 ? (long.MaxValue - sum < v ? long.MaxValue : sum + v) : sum;

    /// <summary>Distinct (day, action, session) triples seen, for stores that keep them as rows.</summary>
    public IReadOnlyCollection<(DateOnly Day, string Action, string Session)> SessionSteps => _sessions;

    /// <summary>The aggregates of everything added.</summary>
    public UsageAggregates Build() => new(
        _hourly.Select(p => new HourlyActivity(p.Key.Hour, p.Key.Action, p.Key.Model, p.Value.Events, p.Value.Errors, p.Value.DurationCount, p.Value.DurationSum,
            p.Value.InputTokens, p.Value.OutputTokens, p.Value.CostUsd)).ToList(),
        _users.Select(p => new DailyUserActivity(p.Key.Day, p.Key.User, p.Value.Events, p.Value.Errors)).ToList(),
        _sessions.GroupBy(s => (s.Day, s.Action)).Select(g => new DailySessionStep(g.Key.Day, g.Key.Action, g.Count())).ToList(),
        _durations.Select(p => new HourlyDurationBucket(p.Key.Hour, p.Key.Bucket, p.Value)).ToList());

    private sealed class Hourly
    {
        public long Events;
        public long Errors;
        public long DurationCount;
        public double DurationSum;
        public long InputTokens;
        public long OutputTokens;
        public decimal CostUsd;
    }
}
