using System.Diagnostics;

namespace UsageTracking.Benchmarks;

/// <summary>Samples the managed heap and the process working set every 5 ms from start to <see cref="StopAsync"/>, and reports the peak growth.</summary>
internal sealed class PeakMemory
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly long _heapBefore;
    private readonly long _workingSetBefore;
    private readonly Task _sampler;
    private long _peakHeap;
    private long _peakWorkingSet;

    private PeakMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _process.Refresh();
        _heapBefore = _peakHeap = GC.GetTotalMemory(forceFullCollection: true);
        _workingSetBefore = _peakWorkingSet = _process.WorkingSet64;
        _sampler = Task.Run(SampleAsync);
    }

    public static PeakMemory Start() => new();

    /// <summary>Stops sampling; returns the peak growth of the heap and of the working set, in MiB.</summary>
    public async Task<(double HeapMiB, double WorkingSetMiB)> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _process.Dispose();
        _stop.Dispose();
        return ((_peakHeap - _heapBefore) / 1024.0 / 1024.0, (_peakWorkingSet - _workingSetBefore) / 1024.0 / 1024.0);
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _peakHeap = Math.Max(_peakHeap, GC.GetTotalMemory(false));
            _process.Refresh();
            _peakWorkingSet = Math.Max(_peakWorkingSet, _process.WorkingSet64);
            await Task.Delay(5);
        }
    }
}
