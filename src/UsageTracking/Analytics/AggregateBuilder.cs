using System.Runtime.InteropServices;
using System.Text.Json;

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
    private readonly Dictionary<(DateOnly Day, int Bucket), (long Messages, long Characters)> _messages = [];
    private readonly Dictionary<string, (DateTimeOffset First, DateTimeOffset Last)> _conversations = new(StringComparer.Ordinal);
    private readonly HashSet<(DateOnly Day, string Action, string Unit)> _stepUsers = [];
    private readonly FunnelSteps _steps;

    /// <summary>A builder counting the sessions and users of <paramref name="steps"/> (by default the SQL editing funnel's).</summary>
    public AggregateBuilder(FunnelSteps? steps = null) => _steps = steps ?? FunnelSteps.Default;

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

        if (e.SessionId is { Length: > 0 } session && _steps.CountsSessions(action))
        {
            _sessions.Add((day, action, session));
        }

        if (_steps.CountsUsers(action) && FunnelSteps.UserUnit(e) is { } unit)
        {
            _stepUsers.Add((day, action, unit));
        }

        // Properties are read only for the few actions that carry these figures: the JSON of every other event is left alone.
        if (action == Actions.TokenUsage && Number(e, ConversationBuckets.TimeToFirstTokenKey) is { } ttft && ttft >= 0)
        {
            h.TtftCount++;
            h.TtftSum += ttft;
        }

        if (ConversationBuckets.IsMessage(action))
        {
            if (Number(e, ConversationBuckets.MessageLengthKey) is { } length && length >= 0)
            {
                ref var m = ref CollectionsMarshal.GetValueRefOrAddDefault(_messages, (day, ConversationBuckets.Of(length, ConversationBuckets.MessageLength)), out _);
                m = (m.Messages + 1, m.Characters + (long)Math.Min(length, int.MaxValue));
            }

            if (e.SessionId is { Length: > 0 } conversation)
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(_conversations, conversation, out var seen);
                c = seen ? (e.Timestamp < c.First ? e.Timestamp : c.First, e.Timestamp > c.Last ? e.Timestamp : c.Last) : (e.Timestamp, e.Timestamp);
            }
        }

        Count++;
    }

    private static long Add(long sum, long? value) =>
        value is { } v && v > 0 ? (long.MaxValue - sum < v ? long.MaxValue : sum + v) : sum;

    /// <summary>Distinct (day, action, session) triples seen, for stores that keep them as rows.</summary>
    public IReadOnlyCollection<(DateOnly Day, string Action, string Session)> SessionSteps => _sessions;

    /// <summary>Distinct (day, action, user or channel) triples of the steps counted by user, for stores that keep them as rows.</summary>
    public IReadOnlyCollection<(DateOnly Day, string Action, string Unit)> StepUsers => _stepUsers;

    /// <summary>Each conversation seen (the <c>session_id</c> of a chat message) with its first and last message, for stores that keep them as rows.</summary>
    public IReadOnlyDictionary<string, (DateTimeOffset First, DateTimeOffset Last)> Conversations => _conversations;

    /// <summary>
    /// A number from the event's properties (the dictionary, or the JSON a store read back), or null when it is missing,
    /// not a number, or the JSON cannot be read.
    /// </summary>
    public static double? Number(UsageEvent e, string key) => Property(e, key, value => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        decimal m => (double)m,
        JsonElement { ValueKind: JsonValueKind.Number } j when j.TryGetDouble(out var n) && double.IsFinite(n) => n,
        _ => (double?)null,
    });

    /// <summary>A string from the event's properties (the dictionary, or the JSON a store read back), or null.</summary>
    public static string? Text(UsageEvent e, string key) => Property(e, key, value => value switch
    {
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } j => j.GetString(),
        _ => null,
    });

    // One property by key, from the dictionary or the JSON (parsed only when it names the key), converted by "read".
    private static T? Property<T>(UsageEvent e, string key, Func<object?, T?> read)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Properties is { } properties)
        {
            return properties.TryGetValue(key, out var value) ? read(value) : default;
        }

        if (e.PropertiesJson is not { Length: > 0 } json || !json.Contains(key, StringComparison.Ordinal))
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var element) ? read(element) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>The aggregates of everything added.</summary>
    public UsageAggregates Build() => new(
        _hourly.Select(p => new HourlyActivity(p.Key.Hour, p.Key.Action, p.Key.Model, p.Value.Events, p.Value.Errors, p.Value.DurationCount, p.Value.DurationSum,
            p.Value.InputTokens, p.Value.OutputTokens, p.Value.CostUsd) { TtftCount = p.Value.TtftCount, TtftSum = p.Value.TtftSum }).ToList(),
        _users.Select(p => new DailyUserActivity(p.Key.Day, p.Key.User, p.Value.Events, p.Value.Errors)).ToList(),
        _sessions.GroupBy(s => (s.Day, s.Action)).Select(g => new DailySessionStep(g.Key.Day, g.Key.Action, g.Count())).ToList(),
        _durations.Select(p => new HourlyDurationBucket(p.Key.Hour, p.Key.Bucket, p.Value)).ToList())
    {
        MessageLengths = _messages.Select(p => new DailyMessageLength(p.Key.Day, p.Key.Bucket, p.Value.Messages, p.Value.Characters)).ToList(),
        ConversationDurations = _conversations.Values
            .Select(c => (Day: DateOnly.FromDateTime(c.First.UtcDateTime), Seconds: (c.Last - c.First).TotalSeconds))
            .GroupBy(c => (c.Day, Bucket: ConversationBuckets.Of(c.Seconds, ConversationBuckets.Duration)))
            .Select(g => new DailyConversationDuration(g.Key.Day, g.Key.Bucket, g.LongCount(), g.Sum(c => c.Seconds))).ToList(),
    };

    private sealed class Hourly
    {
        public long Events;
        public long Errors;
        public long DurationCount;
        public double DurationSum;
        public long InputTokens;
        public long OutputTokens;
        public decimal CostUsd;
        public long TtftCount;
        public double TtftSum;
    }
}
