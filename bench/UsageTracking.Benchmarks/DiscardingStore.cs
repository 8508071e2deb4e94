using System.Runtime.CompilerServices;

namespace UsageTracking.Benchmarks;

/// <summary>A store that accepts every batch and keeps nothing, so a benchmark measures the caller's side alone.</summary>
internal sealed class DiscardingStore : IUsageStore
{
    private long _written;

    public long Written => Interlocked.Read(ref _written);

    public string Description => "discarding store";

    public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => Task.FromResult(StoreSchemaMode.Extended);

    public Task WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _written, batch.Count);
        return Task.CompletedTask;
    }

    public Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => Task.FromResult(0L);

    public Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken) => Task.FromResult(0L);

    public StoreErrorKind Classify(Exception exception) => StoreErrorKind.Transient;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A store that is down: every call fails as a transient outage.</summary>
internal sealed class DownStore : IUsageStore
{
    public string Description => "store that is down";

    public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => throw new IOException("store down");

    public Task WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken) => throw new IOException("store down");

    public Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken) => throw new IOException("store down");

    public IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, CancellationToken cancellationToken) => throw new IOException("store down");

    public Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => throw new IOException("store down");

    public Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken) => throw new IOException("store down");

    public StoreErrorKind Classify(Exception exception) => StoreErrorKind.Transient;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
