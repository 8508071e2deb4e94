namespace UsageTracking;

/// <summary>
/// Where events are kept. A store only knows how to ensure its schema, write a batch and answer
/// queries; the tracker owns queueing, batching, retry, the circuit breaker, the spool and metrics.
/// Implementations are called by one writer at a time for writes, and concurrently for reads.
/// </summary>
public interface IUsageStore : IAsyncDisposable
{
    /// <summary>Where the events go, for logs and health pages; never contains a secret.</summary>
    string Description { get; }

    /// <summary>
    /// Creates the table when missing, or, when <paramref name="allowUpgrade"/>, adds the extended columns to a
    /// 4-column seed table; returns the shape the table has afterwards, which later writes follow.
    /// </summary>
    /// <param name="allowUpgrade">Whether the table may be created or altered.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch atomically where the store allows it. With the extended schema the write must be idempotent
    /// on <see cref="UsageEvent.EventId"/>: writing an event twice leaves one row.
    /// </summary>
    /// <param name="batch">Normalised events.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken);

    /// <summary>Summarises events matching <paramref name="query"/>.</summary>
    /// <param name="query">Range and filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken);

    /// <summary>Streams events matching <paramref name="query"/>, oldest first.</summary>
    /// <param name="query">Range and filters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes rows older than <paramref name="cutoff"/>; returns how many.</summary>
    /// <param name="cutoff">Rows with an earlier timestamp go.</param>
    /// <param name="cancellationToken">Cancels the cleanup (rows already deleted stay deleted).</param>
    Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Deletes every row of the given users (right to erasure); returns how many.</summary>
    /// <param name="users">The users as stored (for hashed users, their hashes).</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken);

    /// <summary>
    /// Says whether a failed write may succeed if repeated (<see cref="StoreErrorKind.Transient"/>) or was
    /// refused because of the data in the batch (<see cref="StoreErrorKind.Rejected"/>), in which case the
    /// tracker splits the batch to isolate the event at fault. When unsure, answer transient: it is spooled, not lost.
    /// </summary>
    /// <param name="exception">What the write threw.</param>
    StoreErrorKind Classify(Exception exception);
}

/// <summary>The shape of the usage table.</summary>
public enum StoreSchemaMode
{
    /// <summary>All columns, with a unique <c>event_id</c>: writes are idempotent.</summary>
    Extended,

    /// <summary>The seed's 4 columns (timestamp, app_name, user, action): errors are written as <c>"&lt;type&gt;: &lt;message&gt;"</c>.</summary>
    Compat,
}

/// <summary>How a store failure should be handled.</summary>
public enum StoreErrorKind
{
    /// <summary>The store may take the same batch later: retry, then spool.</summary>
    Transient,

    /// <summary>The store refuses something in this batch: split it and quarantine the event at fault.</summary>
    Rejected,

    /// <summary>
    /// The write may have happened (the connection dropped after the request went out) and repeating it could add rows
    /// twice, because the table has no idempotency key: do not retry now, spool the batch.
    /// </summary>
    Uncertain,
}

/// <summary>A time range and optional filters for reading the usage table.</summary>
/// <param name="Since">Start (inclusive).</param>
/// <param name="Until">End (exclusive).</param>
/// <param name="AppName">Only this app; null for all.</param>
/// <param name="User">Only this user; null for all.</param>
public sealed record UsageQuery(DateTimeOffset Since, DateTimeOffset Until, string? AppName = null, string? User = null)
{
    /// <summary>
    /// The last <paramref name="days"/> UTC days including today: from midnight <paramref name="days"/>−1 days ago until
    /// just after <paramref name="now"/>. Whole days, so per-day counts are complete and stores can answer from daily rollups.
    /// </summary>
    /// <param name="days">How many days, 1 or more (1 is today).</param>
    /// <param name="now">The current time.</param>
    /// <param name="appName">Only this app; null for all.</param>
    /// <param name="user">Only this user; null for all.</param>
    public static UsageQuery LastDays(int days, DateTimeOffset now, string? appName = null, string? user = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return new UsageQuery(midnight.AddDays(-(days - 1)), now.AddSeconds(1), appName, user);
    }
}

/// <summary>Creates a store by name; each store package has one, found through <see cref="UsageStoreProviderAttribute"/>.</summary>
public interface IUsageStoreProvider
{
    /// <summary>The name used in <see cref="UsageTrackingOptions.Store"/>, such as <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>Creates the store. Throws <see cref="ArgumentException"/> naming the setting when its settings are wrong.</summary>
    /// <param name="context">The tracker's options, configuration and services.</param>
    IUsageStore Create(UsageStoreContext context);
}

/// <summary>What a store provider gets to build a store.</summary>
/// <param name="Options">The tracker's options.</param>
/// <param name="Configuration">The <c>UsageTracking</c> configuration section, when configuration is used.</param>
/// <param name="LoggerFactory">For the store's own logs.</param>
/// <param name="TimeProvider">The clock.</param>
public sealed record UsageStoreContext(
    UsageTrackingOptions Options,
    Microsoft.Extensions.Configuration.IConfiguration? Configuration,
    Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory,
    TimeProvider TimeProvider);

/// <summary>Marks the store provider of a store assembly, so <c>Store = name</c> finds it when the package is referenced.</summary>
/// <param name="providerType">A public type implementing <see cref="IUsageStoreProvider"/> with a parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class UsageStoreProviderAttribute(Type providerType) : Attribute
{
    /// <summary>The provider type.</summary>
    public Type ProviderType { get; } = providerType;
}

/// <summary>A store failed in a way the user should read: one sentence, no secrets.</summary>
public sealed class UsageStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One sentence saying what failed and where.</param>
    /// <param name="innerException">The cause.</param>
    public UsageStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
