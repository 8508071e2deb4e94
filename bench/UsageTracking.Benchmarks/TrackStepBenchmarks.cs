using BenchmarkDotNet.Attributes;

namespace UsageTracking.Benchmarks;

/// <summary>
/// What tracking adds to a query-app request: the step's call as the app makes it (user, action, session id,
/// duration, and a properties dictionary with the SQL text, built per call), against the bare one-line call.
/// The writer runs on the other core into a discarding store.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 5, iterationCount: 40)]
public class TrackStepBenchmarks
{
    private const int Calls = 10_000;
    private const string Sql = "SELECT phase, COUNT(*) AS studies, status\nFROM clinical_trials\nGROUP BY phase, status\nORDER BY studies DESC;";
    private const string Session = "9f1c0a7e2b3d4c5e8f9a0b1c2d3e4f50";
    private UsageTracker _tracker = null!;
    private string _folder = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        _tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = _folder,
            SpoolDirectory = Path.Combine(_folder, "spool"),
            QueueCapacity = 1_000_000,
            RetentionDays = 0,
        }, loggerFactory: null, store: new DiscardingStore());
    }

    [IterationSetup]
    public void Drain() => _tracker.FlushAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _tracker.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "TrackUserAction(email, action)")]
    public void Bare()
    {
        for (var i = 0; i < Calls; i++)
        {
            _tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "query-app step: session, duration, properties with SQL")]
    public void Step()
    {
        for (var i = 0; i < Calls; i++)
        {
            _tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql, Session, 12.5, new Dictionary<string, object?>
            {
                ["source"] = "demo",
                ["run_id"] = "6d572753925a192ca1816610",
                ["sql"] = Sql,
                ["rows"] = 42,
                ["truncated"] = false,
                ["repaired"] = false,
            });
        }
    }
}
