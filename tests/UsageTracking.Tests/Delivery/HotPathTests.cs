using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>What a tracking call does on the caller's thread (allocation is deterministic; time is left to the benchmarks).</summary>
public sealed class HotPathTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TrackUserAction_AllocatesOneSmallObjectOnTheCallersThread()
    {
        await using var tracker = Tracking.Create(_folder, o => o.QueueCapacity = 1_000_000);
        const int calls = 100_000;
        for (var i = 0; i < 1_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < calls; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)calls;

        // One 72-byte event per call; the queue's segment arrays (16-byte slots, one array per many thousand
        // calls, reallocated as the writer frees them) add their amortised share. A second object per call would be >= 96.
        Assert.InRange(perCall, 72, 95);
    }
}
