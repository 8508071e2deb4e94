namespace UsageTracking.Tests.Support;

/// <summary>
/// A fault-injecting wrapper around a real store: outages, writes that commit and then fail, hangs,
/// rejected events and arbitrary exceptions. Everything not injected goes to the real store.
/// </summary>
public sealed class FaultyStore(IUsageStore inner) : IUsageStore
{
    private int _writeCalls;
    private int _failNext;
    private int _commitThenFailNext;
    private int _ambiguousFailures;

    public IUsageStore Inner => inner;

    /// <summary>Every write fails (transient) until this moment.</summary>
    public DateTimeOffset FailUntil { get; set; }

    /// <summary>Writes never return (the cancellation token is ignored), as a store stuck on a dead socket.</summary>
    public volatile bool Hang;

    /// <summary>Batches containing a matching event are refused as a data error.</summary>
    public Func<UsageEvent, bool>? Reject { get; set; }

    /// <summary>Called before each write; a non-null result is thrown instead of writing.</summary>
    public Func<Exception?>? Throw { get; set; }

    /// <summary>Delay before each write.</summary>
    public TimeSpan WriteDelay { get; set; }

    public int WriteCalls => Volatile.Read(ref _writeCalls);

    public int AmbiguousFailures => Volatile.Read(ref _ambiguousFailures);

    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    /// <summary>The next writes reach the store and commit, then throw as if the reply was lost.</summary>
    public void CommitThenFailNext(int count) => Volatile.Write(ref _commitThenFailNext, count);

    public string Description => "faulty " + inner.Description;

    public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) =>
        DateTimeOffset.UtcNow < FailUntil ? throw new SimulatedOutageException() : inner.EnsureSchemaAsync(allowUpgrade, cancellationToken);

    public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writeCalls);
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }

        if (WriteDelay > TimeSpan.Zero)
        {
            await Task.Delay(WriteDelay, cancellationToken);
        }

        if (DateTimeOffset.UtcNow < FailUntil || Interlocked.Decrement(ref _failNext) >= 0)
        {
            throw new SimulatedOutageException();
        }

        if (Throw?.Invoke() is { } injected)
        {
            throw injected;
        }

        if (Reject is { } reject && batch.FirstOrDefault(reject) is { } refused)
        {
            throw new SimulatedRejectionException($"event {refused.EventId} refused: action '{refused.Action}' is not allowed");
        }

        var added = await inner.WriteBatchAsync(batch, cancellationToken);
        if (Interlocked.Decrement(ref _commitThenFailNext) >= 0)
        {
            Interlocked.Increment(ref _ambiguousFailures);
            throw new SimulatedOutageException("the write committed but the reply was lost");
        }

        return added;
    }

    public StoreErrorKind Classify(Exception exception) =>
        exception is SimulatedRejectionException ? StoreErrorKind.Rejected : inner.Classify(exception);

    public ValueTask DisposeAsync() => Hang ? ValueTask.CompletedTask : inner.DisposeAsync();
}

public sealed class SimulatedOutageException(string message = "simulated outage: the store is unreachable") : IOException(message);

public sealed class SimulatedRejectionException(string message) : Exception(message);
