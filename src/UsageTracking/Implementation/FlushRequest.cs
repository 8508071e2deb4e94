namespace UsageTracking.Implementation;

/// <summary>
/// A caller waiting in <see cref="UsageTracker.FlushAsync"/>: done once the writer has taken every event enqueued before
/// the call (<see cref="QueueTarget"/>), written the overflow buffer and replayed the spool. Not an event, and not in the queue.
/// </summary>
internal sealed class FlushRequest(long queueTarget)
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The queue's <see cref="EventQueue.Enqueued"/> count when the flush was asked for.</summary>
    public long QueueTarget { get; } = queueTarget;

    /// <summary>True when everything tracked before the call reached the store; false when some of it had to stay in the spool.</summary>
    public Task<bool> Completion => _done.Task;

    public void Complete(bool reachedStore) => _done.TrySetResult(reachedStore);
}
