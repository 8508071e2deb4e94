using BenchmarkDotNet.Attributes;
using UsageTracking.Databricks;
using UsageTracking.Testing;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Drain into Databricks through the Statement Execution API emulator (a fake, on 127.0.0.1) with 200 ms added to every
/// statement, as a warm warehouse takes: 50,000 events per invocation, by batch size. The statements sent per 10,000
/// events are printed at the end of the run (a count, not a time).
/// </summary>
[MedianColumn]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class DatabricksBenchmarks
{
    private const int Events = 50_000;
    private DatabricksEmulator _emulator = null!;
    private string _folder = "";
    private long _statements;
    private long _events;

    [Params(1_000, 10_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _emulator = DatabricksEmulator.StartAsync().GetAwaiter().GetResult();
        _emulator.StatementTime = TimeSpan.FromMilliseconds(200);
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "tracker: TrackUserAction + FlushAsync, 200 ms per statement")]
    public void TrackerDrain()
    {
        var store = new DatabricksUsageStore(_emulator.Settings(), "main.usage.bench_" + Guid.NewGuid().ToString("N")[..8]);
        var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = _folder,
            SpoolDirectory = Path.Combine(_folder, "spool"),
            QueueCapacity = Events,
            BatchSize = BatchSize,
            RetentionDays = 0,
            ShutdownTimeout = TimeSpan.FromMinutes(2),
        }, loggerFactory: null, store);
        for (var i = 0; i < Events; i++)
        {
            tracker.TrackUserAction($"user{i % 50}@example.com", Actions.All[i % Actions.All.Count]);
        }

        while (tracker.GetHealth().Written < Events)
        {
            tracker.FlushAsync().GetAwaiter().GetResult();
        }

        _statements += store.StatementsSent;
        _events += Events;
        tracker.Dispose();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// statements per 10,000 events at BatchSize {BatchSize}: {_statements * 10_000.0 / Math.Max(1, _events):F2} (every statement the store sent, DESCRIBE and CREATE included)");
        _emulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
