namespace UsageTracking.Analytics;

/// <summary>Which kinds of aggregate rows a caller needs, so a store can skip the others.</summary>
[Flags]
public enum AggregateParts
{
    /// <summary>Hourly activity by action and model.</summary>
    Hourly = 1,

    /// <summary>Users' events and errors per day.</summary>
    Users = 2,

    /// <summary>Funnel sessions per day and step.</summary>
    Sessions = 4,

    /// <summary>The hourly duration histogram.</summary>
    Durations = 8,

    /// <summary>Chat message lengths and conversation durations.</summary>
    Conversations = 16,

    /// <summary>Everything.</summary>
    All = Hourly | Users | Sessions | Durations | Conversations,
}

/// <summary>
/// A store that answers aggregate queries itself (from rollups it keeps, or grouped in its own SQL) instead of having every
/// event read back. Hours and days are whole UTC hours and days overlapping the query's range; <see cref="UsageQuery.User"/>
/// is always null here (one user's figures are folded from their events).
/// </summary>
public interface IUsageAggregates
{
    /// <summary>The aggregates for <paramref name="query"/>; kinds not in <paramref name="parts"/> may come back empty.</summary>
    /// <param name="query">Range and app; no user.</param>
    /// <param name="parts">Which kinds of rows are needed.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, AggregateParts parts, CancellationToken cancellationToken);
}
