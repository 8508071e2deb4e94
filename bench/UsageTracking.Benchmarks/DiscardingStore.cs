namespace UsageTracking.Benchmarks;

/// <summary>A store that accepts every batch and keeps nothing, so a benchmark measures the caller's side alone.</summary>
internal sealed class DiscardingStore : IUsageStore
{
    private long _written;

    public long Written => Interlocked.Read(ref _written);

    public string Description => "discarding store";

    public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => Task.FromResult(StoreSchemaMode.Extended);

    public Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _written, batch.Count);
        return Task.FromResult(batch.Count);
    }

    public StoreErrorKind Classify(Exception exception) => StoreErrorKind.Transient;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A store that is down: every call fails as a transient outage.</summary>
internal sealed class DownStore : IUsageStore
{
    public string Description => "store that is down";

    public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => throw new IOException("store down");

    public Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken) => throw new IOException("store down");

    public StoreErrorKind Classify(Exception exception) => StoreErrorKind.Transient;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
