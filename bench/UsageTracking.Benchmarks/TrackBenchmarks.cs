using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The caller's cost of one tracking call, with the background writer live on the other core and draining into a
/// discarding store. Each invocation makes 1,000,000 calls; between iterations the queue is drained (not timed), so
/// the numbers are the steady state of an app tracking in bursts, not of a queue that is always full.
/// Baseline: the common design (timestamp + record + bounded Channel.TryWrite, with a live reader).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class TrackBenchmarks
{
    private const int Calls = 1_000_000;
    private UsageTracker _tracker = null!;
    private UsageTracker _durable = null!;
    private Channel<BaselineEvent> _channel = null!;
    private Task _reader = Task.CompletedTask;
    private string _folder = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        _tracker = Create(durable: false);
        _durable = Create(durable: true);
        _channel = Channel.CreateBounded<BaselineEvent>(new BoundedChannelOptions(2_000_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        _reader = Task.Run(async () =>
        {
            await foreach (var _ in _channel.Reader.ReadAllAsync())
            {
            }
        });
    }

    private UsageTracker Create(bool durable) => UsageTracker.Create(
        new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = _folder,
            SpoolDirectory = Path.Combine(_folder, durable ? "durable" : "default"),
            QueueCapacity = 2_000_000,
            Durable = durable,
            RetentionDays = 0,
        },
        loggerFactory: null,
        store: new DiscardingStore());

    [IterationSetup]
    public void Drain()
    {
        _tracker.FlushAsync().GetAwaiter().GetResult();
        _durable.FlushAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "UtcNow + record + bounded Channel.TryWrite")]
    public void ChannelBaseline()
    {
        var writer = _channel.Writer;
        for (var i = 0; i < Calls; i++)
        {
            writer.TryWrite(new BaselineEvent(DateTimeOffset.UtcNow, "ann@example.com", Actions.ExecuteSql, "bench"));
        }
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "TrackUserAction")]
    public void TrackUserAction()
    {
        var tracker = _tracker;
        for (var i = 0; i < Calls; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "TrackUserAction, durable mode")]
    public void TrackUserActionDurable()
    {
        var tracker = _durable;
        for (var i = 0; i < Calls; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tracker.Dispose();
        _durable.Dispose();
        _channel.Writer.Complete();
        _reader.Wait();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed record BaselineEvent(DateTimeOffset Timestamp, string User, string Action, string App);
}
