namespace UsageTracking.Implementation;

/// <summary>A marker in the queue: the writer completes it once every event enqueued before it is handled.</summary>
internal sealed class FlushRequest
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    public void Complete() => _done.TrySetResult();
}
