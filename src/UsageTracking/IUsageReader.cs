namespace UsageTracking;

/// <summary>Reads events back from the usage table: for exports, stats where no aggregates answer, and the live feed.</summary>
public interface IUsageReader
{
    /// <summary>Streams events matching <paramref name="query"/>, oldest first.</summary>
    /// <param name="query">Range and filters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, CancellationToken cancellationToken);

    /// <summary>The newest events, newest first (timestamp, app, user, action and duration at least).</summary>
    /// <param name="appName">Only this app; null for all.</param>
    /// <param name="count">How many.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken);

    /// <summary>Rows kept, and the oldest and newest timestamps.</summary>
    /// <param name="appName">Only this app; null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken);
}

/// <summary>How many rows the usage table keeps and since when (for the retention panel and health checks).</summary>
/// <param name="Rows">Rows kept.</param>
/// <param name="Oldest">The oldest row's timestamp, or null when there is none.</param>
/// <param name="Newest">The newest row's timestamp, or null when there is none.</param>
public sealed record TableExtent(long Rows, DateTimeOffset? Oldest, DateTimeOffset? Newest);

/// <summary>Deletes rows: retention, and the right to erasure.</summary>
public interface IUsageRetention
{
    /// <summary>Deletes rows older than <paramref name="cutoff"/>; returns how many.</summary>
    /// <param name="cutoff">Rows with an earlier timestamp go.</param>
    /// <param name="appName">Only this app's rows (a central table holds many apps'); null for every app's.</param>
    /// <param name="cancellationToken">Cancels the cleanup (rows already deleted stay deleted).</param>
    Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, string? appName, CancellationToken cancellationToken);

    /// <summary>Deletes every row of the given users (right to erasure); returns how many.</summary>
    /// <param name="users">The users as stored (for hashed users, their hashes).</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the tracker runs this store's retention on its own loop (<see cref="UsageTrackingOptions.CleanupInterval"/>).
    /// A warehouse store says no: a DELETE every few hours from every app instance keeps the warehouse from ever stopping,
    /// and retention of a shared table is one scheduled job's work. <c>usage cleanup</c> runs it on demand either way.
    /// </summary>
    bool CleansUpPeriodically => true;

    /// <summary>Where to read how retention runs for this store when <see cref="CleansUpPeriodically"/> is false.</summary>
    string? RetentionAdvice => null;
}

/// <summary>A store that keeps pre-aggregated tables beside the usage table, which other tools' writes can leave behind.</summary>
public interface IUsageRollups
{
    /// <summary>Recounts every rollup from the usage table's rows.</summary>
    /// <param name="cancellationToken">Cancels the rebuild (nothing changes unless it finishes).</param>
    Task RebuildRollupsAsync(CancellationToken cancellationToken);
}
