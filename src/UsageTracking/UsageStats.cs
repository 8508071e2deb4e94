namespace UsageTracking;

/// <summary>A summary of usage over a time range.</summary>
/// <param name="Since">Start of the range (inclusive, UTC).</param>
/// <param name="Until">End of the range (exclusive, UTC).</param>
/// <param name="AppName">The app summarised, or null for all apps.</param>
/// <param name="User">The user summarised, or null for all users.</param>
/// <param name="TotalEvents">Rows in the range.</param>
/// <param name="DistinctUsers">Distinct users in the range.</param>
/// <param name="ErrorCount">Rows whose action contains <c>_error</c> (both <c>sql_error</c> and the seed's <c>sql_error: message</c>).</param>
/// <param name="ByAction">Rows per action, most frequent first.</param>
/// <param name="ByDay">Rows per UTC day, oldest first.</param>
public sealed record UsageStats(
    DateTimeOffset Since,
    DateTimeOffset Until,
    string? AppName,
    string? User,
    long TotalEvents,
    long DistinctUsers,
    long ErrorCount,
    IReadOnlyList<ActionCount> ByAction,
    IReadOnlyList<DayCount> ByDay);

/// <summary>How often an action occurred.</summary>
/// <param name="Action">The action.</param>
/// <param name="Count">Rows with it.</param>
public sealed record ActionCount(string Action, long Count);

/// <summary>How many events a UTC day had.</summary>
/// <param name="Day">The day.</param>
/// <param name="Count">Rows on it.</param>
/// <param name="DistinctUsers">Distinct users on it.</param>
public sealed record DayCount(DateOnly Day, long Count, long DistinctUsers);

/// <summary>What a flush achieved: counts of events handled between the call and its return, and what still waits.</summary>
/// <param name="Written">Events written to the store (live ones and replayed ones).</param>
/// <param name="Spooled">Events put in the on-disk spool because the store could not take them, or because the queue was full.</param>
/// <param name="Dropped">Events lost (only when the spool itself was full or failing; the log says so at warning level).</param>
/// <param name="Quarantined">Events the store rejected one by one, kept in the quarantine folder with the reason.</param>
/// <param name="Pending">Events still in memory when the flush returned (some may have been tracked after the call).</param>
/// <param name="OnDisk">Events waiting in the spool when the flush returned: safe on disk, not in the store yet.</param>
/// <param name="Completed">
/// True only when every event tracked before the call is in the store (or was quarantined or dropped, and counted so):
/// false when the flush stopped waiting (timeout, cancellation) or the store could not take everything, which then waits
/// in the spool (<paramref name="OnDisk"/>).
/// </param>
public sealed record FlushResult(long Written, long Spooled, long Dropped, long Quarantined, long Pending, long OnDisk, bool Completed);

/// <summary>The tracker's delivery counters since start, and the state of its queue and spool.</summary>
/// <param name="Store">Where events go, safe to show (no secrets).</param>
/// <param name="SchemaMode">The table's shape, once known.</param>
/// <param name="Written">Events written to the store, including replays.</param>
/// <param name="Spooled">Events put in the spool.</param>
/// <param name="Replayed">Spooled events written to the store later.</param>
/// <param name="AlreadyPresent">Of the events written, those the store held already (a write whose reply was lost, then replayed).</param>
/// <param name="Dropped">Events lost, by reason.</param>
/// <param name="Quarantined">Events rejected by the store and kept aside.</param>
/// <param name="Truncated">Values shortened to <see cref="FieldLimits"/>.</param>
/// <param name="Retries">Store write attempts repeated after a transient failure.</param>
/// <param name="UnreadableSpoolLines">Lines of spool files that were not events (set aside in the quarantine with their file and line).</param>
/// <param name="QueueDepth">Events waiting in memory (including batches kept there because the spool could not take them).</param>
/// <param name="SpoolFiles">Files waiting in the spool.</param>
/// <param name="SpoolBytes">Bytes waiting in the spool.</param>
/// <param name="CircuitOpen">True while the store is considered down and batches go straight to the spool.</param>
/// <param name="LastSuccessfulWrite">When a batch last reached the store.</param>
/// <param name="LastError">The last delivery failure, in one sentence, or null.</param>
/// <param name="LastSpoolError">Why the spool last refused a file (a full disk, a permission), or null.</param>
public sealed record TrackerHealth(
    string Store,
    StoreSchemaMode? SchemaMode,
    long Written,
    long Spooled,
    long Replayed,
    long AlreadyPresent,
    IReadOnlyDictionary<string, long> Dropped,
    long Quarantined,
    long Truncated,
    long Retries,
    long UnreadableSpoolLines,
    long QueueDepth,
    int SpoolFiles,
    long SpoolBytes,
    bool CircuitOpen,
    DateTimeOffset? LastSuccessfulWrite,
    string? LastError,
    string? LastSpoolError = null);
