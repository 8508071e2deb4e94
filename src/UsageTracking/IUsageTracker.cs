namespace UsageTracking;

/// <summary>
/// Records what users do. Every <c>Track*</c> call returns in nanoseconds, never throws and does
/// no I/O on the caller's thread: events go to a bounded in-memory queue that one background writer
/// delivers in batches, spooling to disk whatever the store cannot take.
/// </summary>
public interface IUsageTracker : IAsyncDisposable, IDisposable
{
    /// <summary>Records that <paramref name="userEmail"/> did <paramref name="action"/> now.</summary>
    /// <param name="userEmail">Who; null uses <see cref="UsageTrackingOptions.DefaultUser"/>.</param>
    /// <param name="action">What: one of <see cref="Actions"/> or an app-specific name.</param>
    void TrackUserAction(string? userEmail, string action);

    /// <summary>Records an action with its session, duration and extra properties.</summary>
    /// <param name="userEmail">Who; null uses <see cref="UsageTrackingOptions.DefaultUser"/>.</param>
    /// <param name="action">What: one of <see cref="Actions"/> or an app-specific name.</param>
    /// <param name="sessionId">The user's session or conversation.</param>
    /// <param name="durationMs">How long the step took, in milliseconds.</param>
    /// <param name="properties">Extra detail, stored as a JSON object; read on the background writer, so do not change it afterwards.</param>
    void TrackUserAction(string? userEmail, string action, string? sessionId, double? durationMs = null, IReadOnlyDictionary<string, object?>? properties = null);

    /// <summary>Records an error: <paramref name="errorType"/> becomes the action (use the <c>*_error</c> <see cref="Actions"/>), the message the detail.</summary>
    /// <param name="userEmail">Who met the error; null uses <see cref="UsageTrackingOptions.DefaultUser"/>.</param>
    /// <param name="errorType">The kind of error, e.g. <see cref="Actions.SqlError"/>.</param>
    /// <param name="errorMessage">What went wrong, in words.</param>
    /// <param name="exception">The exception, if any: its type is stored in the properties (never its stack trace).</param>
    void TrackError(string? userEmail, string errorType, string? errorMessage, Exception? exception = null);

    /// <summary>Records a rich event. Missing timestamp, app name and user are filled in.</summary>
    /// <param name="usageEvent">The event; null is ignored.</param>
    void Track(UsageEvent usageEvent);

    /// <summary>Summarises this app's usage over the last <paramref name="days"/> UTC days including today, optionally for one user.</summary>
    /// <param name="userEmail">Only this user's events (hashed first when users are stored hashed); null for everyone.</param>
    /// <param name="days">How many UTC days, today included (1 or more).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<UsageStats> GetUsageStatsAsync(string? userEmail = null, int days = 30, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits, for at most <see cref="UsageTrackingOptions.ShutdownTimeout"/>, until every event tracked before the call is in
    /// the store — including events that overflowed the queue into the spool — or the store has refused to take more.
    /// Never throws; <see cref="FlushResult.Completed"/> is true only when everything reached the store, and
    /// <see cref="FlushResult.OnDisk"/> says how many events still wait in the spool.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the events are still delivered later).</param>
    Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>A snapshot of the tracker's delivery counters and queue and spool health.</summary>
    TrackerHealth GetHealth();
}
