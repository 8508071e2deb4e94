using System.Diagnostics;
using System.Text;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The caller's cost per call in a burst of twice <see cref="UsageTrackingOptions.QueueCapacity"/> over 4 threads, while
/// the store is stuck on its first batch, so half the calls find the queue full and overflow. Every call is timed on its
/// own thread (Stopwatch timestamps, about 20 ns of overhead per call, included in every row alike), and the median and p99
/// are reported over all calls and over the overflowing half. Baselines in the same run: the same burst with a queue large
/// enough that nothing overflows, and the overflow path this replaced (one write(2) of the event's JSON line per event under
/// one lock, rebuilt here as it was). Not a BenchmarkDotNet suite: it needs per-call percentiles across threads.
/// </summary>
internal static class OverflowBurst
{
    private const int Threads = 4;

    public static async Task<int> RunAsync(int queueCapacity)
    {
        var calls = 2 * queueCapacity / Threads;
        Console.WriteLine($"burst: {Threads} threads × {calls:N0} calls = {Threads * calls:N0} against a queue of {queueCapacity:N0}; store stuck on its first batch");
        for (var round = 1; round <= 3; round++)
        {
            Console.WriteLine($"-- round {round}");
            Report("no overflow (queue of 2× the burst)", await TrackerBurstAsync(4 * queueCapacity, calls), calls);
            Report("tracker, overflow buffered in chunks", await TrackerBurstAsync(queueCapacity, calls), calls);
            Report("baseline: one write(2) per event under a lock", SyscallPerEvent(queueCapacity, calls), calls);
        }

        return 0;
    }

    private static void Report(string name, long[][] ticks, int calls)
    {
        var all = ticks.SelectMany(t => t).ToArray();
        var late = ticks.SelectMany(t => t[(calls / 2)..]).ToArray();
        Console.WriteLine($"{name,-48} all: median {Ns(all, 0.5),8:N0} ns  p99 {Ns(all, 0.99),8:N0} ns | second half of each thread: median {Ns(late, 0.5),8:N0} ns  p99 {Ns(late, 0.99),8:N0} ns");
    }

    private static double Ns(long[] ticks, double p)
    {
        Array.Sort(ticks);
        return ticks[(int)Math.Min(ticks.Length - 1, Math.Ceiling(p * ticks.Length) - 1)] * 1e9 / Stopwatch.Frequency;
    }

    private static async Task<long[][]> TrackerBurstAsync(int queueCapacity, int calls)
    {
        var folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        var store = new StuckStore();
        var tracker = UsageTracker.Create(new UsageTrackingOptions
        {
            AppName = "bench",
            DataDirectory = folder,
            SpoolDirectory = Path.Combine(folder, "spool"),
            QueueCapacity = queueCapacity,
            SpoolMaxBytes = 4L * 1024 * 1024 * 1024,
            RetentionDays = 0,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        }, loggerFactory: null, store: store);
        tracker.TrackUserAction("warm@example.com", Actions.AppStart);
        await store.Entered.Task;
        var ticks = Burst(calls, (thread, i) => tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql));
        store.Release();
        await tracker.DisposeAsync();
        Directory.Delete(folder, recursive: true);
        return ticks;
    }

    private static long[][] SyscallPerEvent(int queueCapacity, int calls)
    {
        var folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var gate = new Lock();
        long depth = 0;
        var queue = new System.Collections.Concurrent.ConcurrentQueue<UsageEvent>();
        using var file = new FileStream(Path.Combine(folder, "overflow.jsonl"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var line = new byte[256];
        var ticks = Burst(calls, (thread, i) =>
        {
            var e = new UsageEvent { Timestamp = DateTimeOffset.UtcNow, User = "ann@example.com", Action = Actions.ExecuteSql };
            if (Interlocked.Increment(ref depth) <= queueCapacity)
            {
                queue.Enqueue(e);
                return;
            }

            lock (gate)
            {
                var n = Encoding.UTF8.GetBytes($"{{\"id\":\"{Guid.CreateVersion7()}\",\"ts\":\"{e.Timestamp:O}\",\"user\":\"{e.User}\",\"action\":\"{e.Action}\"}}\n", line);
                file.Write(line, 0, n);
            }
        });
        file.Dispose();
        Directory.Delete(folder, recursive: true);
        return ticks;
    }

    private static long[][] Burst(int calls, Action<int, int> track)
    {
        var ticks = new long[Threads][];
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var mine = ticks[t] = new long[calls];
            start.SignalAndWait();
            for (var i = 0; i < calls; i++)
            {
                var before = Stopwatch.GetTimestamp();
                track(t, i);
                mine[i] = Stopwatch.GetTimestamp() - before;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return ticks;
    }

    /// <summary>A store whose first write waits until released, so the queue fills behind it.</summary>
    private sealed class StuckStore : IUsageStore
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description => "a store stuck on its first batch";

        public void Release() => _released.TrySetResult();

        public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => Task.FromResult(StoreSchemaMode.Extended);

        public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            return batch.Count;
        }

        public StoreErrorKind Classify(Exception exception) => StoreErrorKind.Transient;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
