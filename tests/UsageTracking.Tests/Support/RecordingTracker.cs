using System.Collections.Concurrent;

namespace UsageTracking.Tests.Support;

/// <summary>A fake <see cref="IUsageTracker"/> for component tests: it writes nothing and records every event it is given.</summary>
public sealed class RecordingTracker : IUsageTracker
{
    private readonly ConcurrentQueue<UsageEvent> _events = new();

    public IReadOnlyList<UsageEvent> Events => [.. _events];

    public IReadOnlyList<string> Actions => [.. _events.Select(e => e.Action)];

    public void TrackUserAction(string? userEmail, string action) => TrackUserAction(userEmail, action, null);

    public void TrackUserAction(string? userEmail, string action, string? sessionId, double? durationMs = null, IReadOnlyDictionary<string, object?>? properties = null) =>
        Track(new UsageEvent { User = userEmail ?? "", Action = action, SessionId = sessionId, DurationMs = durationMs, Properties = properties });

    public void TrackError(string? userEmail, string errorType, string? errorMessage, Exception? exception = null) =>
        Track(new UsageEvent { User = userEmail ?? "", Action = errorType, Detail = errorMessage, IsError = true });

    public void Track(UsageEvent usageEvent) => _events.Enqueue(usageEvent);

    public void Clear() => _events.Clear();

    public Task<UsageStats> GetUsageStatsAsync(string? userEmail = null, int days = 30, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The recording tracker reads nothing back.");

    public Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException("The recording tracker writes nothing.");

    public TrackerHealth GetHealth() => throw new NotSupportedException("The recording tracker has no health.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose()
    {
    }
}
