namespace UsageTracking.Analytics;

/// <summary>What a configured funnel counts at each step.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<FunnelUnit>))]
public enum FunnelUnit
{
    /// <summary>Distinct session ids (a query-app session, a chat conversation).</summary>
    Session,

    /// <summary>Distinct users; an event without a user counts its <c>properties.channel_id</c> (a bot's step in a channel).</summary>
    User,
}

/// <summary>
/// A funnel of an app, from configuration (<c>UsageTracking:Funnels</c>): its steps in order, counted over the whole UTC
/// days the dashboard's range covers, as the SQL editing funnel is — <see cref="FunnelUnit.Session"/>: the sessions that
/// reached the step each day, summed over the days; <see cref="FunnelUnit.User"/>: the distinct users (or channels) that
/// reached it on any of the days. Each step is counted on its own, so whoever skipped a step still counts at the later ones.
/// </summary>
public sealed class FunnelDefinition
{
    /// <summary>Shown as the panel's title; unique per app.</summary>
    public string Name { get; set; } = "";

    /// <summary>The app it belongs to; null for every app.</summary>
    public string? App { get; set; }

    /// <summary>The steps' actions, in order (two at least).</summary>
    public List<string> Steps { get; set; } = [];

    /// <summary>What is counted. Default: sessions.</summary>
    public FunnelUnit CountBy { get; set; } = FunnelUnit.Session;

    /// <summary>Whether the funnel is shown for <paramref name="app"/> (null: the dashboard of every app).</summary>
    public bool AppliesTo(string? app) => App is null || string.Equals(App, app, StringComparison.Ordinal);

    /// <summary>Its steps in order, each with the count <paramref name="countOf"/> gives for its action.</summary>
    public IReadOnlyList<FunnelStepCount> Count(Func<string, long> countOf)
    {
        ArgumentNullException.ThrowIfNull(countOf);
        return Steps.Select((action, i) => new FunnelStepCount(i + 1, action, countOf(action))).ToList();
    }
}

/// <summary>One step of a configured funnel: how many sessions or users reached it.</summary>
public sealed record FunnelStepCount(int Step, string Action, long Count);

/// <summary>A configured funnel as counted for the dashboard's range.</summary>
public sealed record FunnelCounts(string Name, FunnelUnit CountBy, IReadOnlyList<FunnelStepCount> Steps);

/// <summary>
/// The steps whose units a store keeps counted as it writes (so a configured funnel reads a few rows at any table size):
/// the SQL editing funnel's steps by session, and the configured funnels' steps by their unit.
/// </summary>
public sealed class FunnelSteps
{
    private readonly HashSet<string> _sessions;
    private readonly HashSet<string> _users;

    /// <summary>The steps of the SQL editing funnel and of <paramref name="funnels"/>.</summary>
    public FunnelSteps(IEnumerable<FunnelDefinition>? funnels = null)
    {
        _sessions = new HashSet<string>(UsageActions.Funnel, StringComparer.Ordinal);
        _users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var funnel in funnels ?? [])
        {
            (funnel.CountBy == FunnelUnit.User ? _users : _sessions).UnionWith(funnel.Steps.Where(s => !string.IsNullOrEmpty(s)));
        }

        Key = string.Join(";", _sessions.Order(StringComparer.Ordinal).Select(s => "s:" + s).Concat(_users.Order(StringComparer.Ordinal).Select(u => "u:" + u)));
    }

    /// <summary>Only the SQL editing funnel's steps.</summary>
    public static FunnelSteps Default { get; } = new();

    /// <summary>A stable text of the steps and their units: a store compares it with the one its rollups were counted for.</summary>
    public string Key { get; }

    /// <summary>Steps counted by session.</summary>
    public IReadOnlyCollection<string> SessionSteps => _sessions;

    /// <summary>Steps counted by user.</summary>
    public IReadOnlyCollection<string> UserSteps => _users;

    /// <summary>Whether sessions reaching <paramref name="action"/> are counted.</summary>
    public bool CountsSessions(string action) => _sessions.Contains(action);

    /// <summary>Whether users reaching <paramref name="action"/> are counted.</summary>
    public bool CountsUsers(string action) => _users.Contains(action);

    /// <summary>Whether every step of <paramref name="funnel"/> is counted in its unit.</summary>
    public bool Covers(FunnelDefinition funnel)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        return funnel.Steps.All(s => funnel.CountBy == FunnelUnit.User ? _users.Contains(s) : _sessions.Contains(s));
    }

    /// <summary>
    /// The unit an event counts as at a User step: its user, or — tracked without one, as a bot's step in a channel —
    /// <c>channel:</c> and its <c>properties.channel_id</c>; null when it has neither.
    /// </summary>
    public static string? UserUnit(UsageEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.User is { Length: > 0 } user)
        {
            return user;
        }

        return AggregateBuilder.Text(e, ChatProperties.ChannelId) is { Length: > 0 } channel ? "channel:" + channel : null;
    }
}

/// <summary>A store that counts configured funnels from what it keeps as it writes, instead of reading their steps' events back.</summary>
public interface IUsageFunnelCounts
{
    /// <summary>
    /// The counts of <paramref name="funnel"/>'s steps over the whole UTC days <paramref name="query"/> covers (its app; no
    /// user), in the funnel's order and unit; null when the store cannot count this funnel itself (its steps were not
    /// counted as the rows were written), and the caller then counts it from the events.
    /// </summary>
    Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken);
}
