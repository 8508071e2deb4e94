using System.Diagnostics;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Tracks N events as fast as one thread can while the store is down, and reports the peak growth of the
/// managed heap and of the process working set (sampled every 5 ms), with what ended in the spool.
/// Not a BenchmarkDotNet suite: it measures memory over one long run, in a process of its own.
/// </summary>
internal static class MemoryUnderOutage
{
    public static async Task<int> RunAsync(int events)
    {
        var folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        var memory = PeakMemory.Start();
        var clock = Stopwatch.StartNew();
        var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = folder,
            SpoolDirectory = Path.Combine(folder, "spool"),
            SpoolMaxBytes = 4L * 1024 * 1024 * 1024,
            RetentionDays = 0,
        }, loggerFactory: null, store: new DownStore());
        for (var i = 0; i < events; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var tracked = clock.Elapsed;
        await tracker.DisposeAsync();
        var total = clock.Elapsed;
        var (heap, workingSet) = await memory.StopAsync();

        var health = tracker.GetHealth();
        Console.WriteLine($"events tracked:            {events:N0} in {tracked.TotalMilliseconds:N0} ms ({events / tracked.TotalSeconds:N0}/s); disposed after {total.TotalMilliseconds:N0} ms");
        Console.WriteLine($"spooled / dropped:         {health.Spooled:N0} / {health.Dropped.Values.Sum():N0}");
        Console.WriteLine($"spool on disk:             {health.SpoolFiles:N0} files, {health.SpoolBytes / 1024.0 / 1024.0:N1} MiB");
        Console.WriteLine($"peak managed heap growth:  {heap:N1} MiB");
        Console.WriteLine($"peak working set growth:   {workingSet:N1} MiB");
        Directory.Delete(folder, recursive: true);
        return health.Spooled + health.Dropped.Values.Sum() == events ? 0 : 1;
    }
}
