using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The caller's cost of one tracking call, with the background writer live on the other core and draining into a
/// discarding store (so the store's speed does not enter). Two burst sizes, each its own comparison:
/// <list type="bullet">
/// <item><c>burst-10k</c>: 10,000 calls, then the queue drains (untimed) — an app tracking as it serves requests.</item>
/// <item><c>burst-1M</c>: 1,000,000 calls back to back — the queue grows, its events outlive gen0, and GC shows.</item>
/// </list>
/// Baseline in each: the common design, timestamp + 4-field record + bounded <c>Channel.TryWrite</c> with a live reader.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[SimpleJob(warmupCount: 5, iterationCount: 60)]
public class TrackBenchmarks
{
    private const int Small = 10_000;
    private const int Large = 1_000_000;
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
        _channel = Channel.CreateBounded<BaselineEvent>(new BoundedChannelOptions(2 * Large) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
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
            QueueCapacity = 2 * Large,
            Durable = durable,
            RetentionDays = 0,
            ShutdownTimeout = TimeSpan.FromMinutes(1),
        },
        loggerFactory: null,
        store: new DiscardingStore());

    [IterationSetup]
    public void Drain()
    {
        _tracker.FlushAsync().GetAwaiter().GetResult();
        _durable.FlushAsync().GetAwaiter().GetResult();
        while (_channel.Reader.Count > 0)
        {
            Thread.Sleep(1);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Small, Description = "Channel baseline")]
    [BenchmarkCategory("burst-10k")]
    public void ChannelSmall() => WriteChannel(Small);

    [Benchmark(OperationsPerInvoke = Small, Description = "TrackUserAction")]
    [BenchmarkCategory("burst-10k")]
    public void TrackSmall() => Track(_tracker, Small);

    [Benchmark(OperationsPerInvoke = Small, Description = "TrackUserAction, durable mode")]
    [BenchmarkCategory("burst-10k")]
    public void TrackDurableSmall() => Track(_durable, Small);

    [Benchmark(Baseline = true, OperationsPerInvoke = Large, Description = "Channel baseline")]
    [BenchmarkCategory("burst-1M")]
    public void ChannelLarge() => WriteChannel(Large);

    [Benchmark(OperationsPerInvoke = Large, Description = "TrackUserAction")]
    [BenchmarkCategory("burst-1M")]
    public void TrackLarge() => Track(_tracker, Large);

    private void WriteChannel(int calls)
    {
        var writer = _channel.Writer;
        for (var i = 0; i < calls; i++)
        {
            writer.TryWrite(new BaselineEvent(DateTimeOffset.UtcNow, "ann@example.com", Actions.ExecuteSql, "bench"));
        }
    }

    private static void Track(UsageTracker tracker, int calls)
    {
        for (var i = 0; i < calls; i++)
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
