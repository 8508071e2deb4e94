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
/// A funnel of an app, from configuration (<c>UsageTracking:Funnels</c>): its steps in order, counted from their events in
/// the dashboard's range. Each step is counted on its own, so whoever skipped a step still counts at the later ones.
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
}

/// <summary>One step of a configured funnel: how many sessions or users reached it.</summary>
public sealed record FunnelStepCount(int Step, string Action, long Count);

/// <summary>A configured funnel as counted for the dashboard's range.</summary>
public sealed record FunnelCounts(string Name, FunnelUnit CountBy, IReadOnlyList<FunnelStepCount> Steps);
