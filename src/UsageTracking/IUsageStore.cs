namespace UsageTracking;

/// <summary>
/// Where events are written: the one capability every store has. A store only prepares its table, writes a batch and
/// says what a failure means; the tracker owns queueing, batching, retry, the circuit breaker, the spool and metrics.
/// Reading back, aggregates, retention and read-only SQL are separate capabilities (<see cref="IUsageReader"/>,
/// <see cref="Analytics.IUsageAggregates"/>, <see cref="IUsageRetention"/>, <see cref="Sql.IUsageSqlSource"/>) that a store
/// package registers beside it when it has them. Writes come from one writer at a time.
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
    /// on <see cref="UsageEvent.EventId"/>: writing an event twice leaves one row. Returns the rows it added; events the
    /// table already held (a replay after a write whose reply was lost) are not counted. Once this returns, every event of
    /// the batch is in the table.
    /// </summary>
    /// <param name="batch">Normalised events.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken);

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

    /// <summary>
    /// No batch can succeed until someone changes the store's configuration (credentials, permissions, a missing table or
    /// warehouse): not retried now, the batch is spooled, the circuit counts it, and the error is logged once as an error.
    /// </summary>
    Configuration,
}

/// <summary>
/// Registers one store's capabilities; each store package has one, found through <see cref="UsageStoreProviderAttribute"/>
/// when <see cref="UsageTrackingOptions.Store"/> names it. It does what the package's own <c>Add…UsageStore()</c> does.
/// </summary>
public interface IUsageStoreProvider
{
    /// <summary>The name used in <see cref="UsageTrackingOptions.Store"/>, such as <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>Registers the store and the capabilities it has (<see cref="IUsageStore"/> and any of the read capabilities).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>UsageTracking</c> configuration section, when configuration is used; store settings live under it.</param>
    void AddStore(Microsoft.Extensions.DependencyInjection.IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration? configuration);
}

/// <summary>Which store <c>AddUsageTracking</c> (or a store package's <c>Add…UsageStore()</c>) registered, to check it against the settings at start.</summary>
/// <param name="Name">The store's name, as in <see cref="UsageTrackingOptions.Store"/>.</param>
public sealed record UsageStoreRegistration(string Name);

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
