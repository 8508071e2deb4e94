using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>The delivery guarantees, each on a real SQLite file, with faults injected by <see cref="FaultyStore"/>.</summary>
public sealed class DeliveryGuaranteeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task EightThreadsTrackingConcurrently_AllEventsLandExactlyOnce()
    {
        const int threads = 8, perThread = 100_000;
        await using (var tracker = Tracking.Create(_folder, o => o.ShutdownTimeout = TimeSpan.FromMinutes(2)))
        {
            var workers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
            {
                var user = $"user{t}@example.com";
                for (var i = 0; i < perThread; i++)
                {
                    tracker.TrackUserAction(user, Actions.ExecuteSql);
                }
            })).ToArray();
            await Task.WhenAll(workers);
        }

        Assert.Equal(threads * perThread, Tracking.Rows(_folder));
        Assert.Equal(threads * perThread, Tracking.Scalar(_folder, "SELECT COUNT(DISTINCT event_id) FROM central_app_usage"));
        Assert.Equal(perThread, Tracking.Scalar(_folder, "SELECT MIN(n) FROM (SELECT COUNT(*) n FROM central_app_usage GROUP BY user)"));
        Assert.Equal(perThread, Tracking.Scalar(_folder, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM central_app_usage GROUP BY user)"));
        Assert.Equal(threads, Tracking.Scalar(_folder, "SELECT COUNT(DISTINCT user) FROM central_app_usage"));
    }

    [Fact(Timeout = 120_000)]
    public async Task StoreUnavailableAtFirst_AllEventsLandOnceAfterRecovery()
    {
        const int events = 100_000;
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.UtcNow.AddSeconds(3) };
        await using var tracker = Tracking.Create(_folder, store: store);

        for (var i = 0; i < events; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) >= events), $"only {Tracking.Rows(_folder)} of {events} rows landed");
        await tracker.FlushAsync();
        Assert.Equal(events, Tracking.Rows(_folder));
        var health = tracker.GetHealth();
        Assert.True(health.Spooled > 0, "the outage should have sent batches to the spool");
        Assert.True(health.Replayed > 0, "spooled batches should have been replayed");
        Assert.Empty(health.Dropped);
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0, TimeSpan.FromSeconds(10)));
    }

    [Fact(Timeout = 60_000)]
    public async Task WriteCommitsThenFails_RetryCreatesNoDuplicate()
    {
        const int events = 5_000;
        var store = new FaultyStore(Tracking.Store(_folder));
        store.CommitThenFailNext(3);
        await using var tracker = Tracking.Create(_folder, o => o.BatchSize = 500, store);

        for (var i = 0; i < events; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.EditSql);
        }

        await tracker.FlushAsync();
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().SpoolFiles == 0));
        Assert.Equal(3, store.AmbiguousFailures);
        Assert.Equal(events, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task DisposeWithStoreHung_ReturnsWithinTimeout_AndNextStartReplaysEverything()
    {
        const int events = 2_000;
        var shutdown = TimeSpan.FromSeconds(1);
        var hung = new FaultyStore(Tracking.Store(_folder)) { Hang = true };
        var tracker = Tracking.Create(_folder, o => o.ShutdownTimeout = shutdown, hung);
        for (var i = 0; i < events; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.DownloadResults);
        }

        Assert.True(await Tracking.EventuallyAsync(() => hung.WriteCalls > 0), "the writer should be stuck in the store");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        tracker.Dispose();
        clock.Stop();

        // Bounded, not fast: the bound is the configured timeout plus Dispose's fixed margin.
        Assert.True(clock.Elapsed < shutdown + TimeSpan.FromSeconds(5), $"Dispose took {clock.Elapsed}");
        Assert.Equal(events, tracker.GetHealth().Spooled);
        Assert.Equal(0, Tracking.Rows(_folder));

        await using var next = Tracking.Create(_folder);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == events), $"{Tracking.Rows(_folder)} rows after replay");
        Assert.True(await Tracking.EventuallyAsync(() => next.GetHealth().SpoolFiles == 0));
    }

    [Fact(Timeout = 60_000)]
    public async Task PoisonEventInBatch_RestLands_PoisonIsQuarantinedWithReason()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { Reject = e => e.Action == "poison" };
        await using var tracker = Tracking.Create(_folder, o => { o.BatchSize = 100; o.FlushInterval = TimeSpan.FromSeconds(5); }, store);
        for (var i = 0; i < 100; i++)
        {
            tracker.TrackUserAction($"u{i}@example.com", i == 37 ? "poison" : Actions.ExecuteSql);
        }

        Assert.True((await tracker.FlushAsync()).Completed);

        Assert.Equal(99, Tracking.Rows(_folder));
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = 'poison'"));
        // Totals, not the flush's own counts: with a full batch waiting, the writer may finish before FlushAsync begins.
        var health = tracker.GetHealth();
        Assert.Equal((99L, 1L, 0L), (health.Written, health.Quarantined, health.Dropped.Values.Sum()));
        var line = Assert.Single(File.ReadAllLines(Directory.GetFiles(Path.Combine(_folder.Spool, "quarantine")).Single()));
        Assert.Contains("\"action\":\"poison\"", line, StringComparison.Ordinal);
        Assert.Contains("\"user\":\"u37@example.com\"", line, StringComparison.Ordinal);
        Assert.Contains("is not allowed", line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task PoisonEventRefusedByRealSqliteConstraint_IsQuarantined()
    {
        await using (var init = Tracking.Store(_folder))
        {
            await init.EnsureSchemaAsync(true, default);
        }

        Tracking.Execute(_folder.Database, """
            CREATE TRIGGER refuse_poison BEFORE INSERT ON central_app_usage WHEN NEW.action = 'poison'
            BEGIN SELECT RAISE(ABORT, 'poison actions are refused'); END
            """);
        await using var tracker = Tracking.Create(_folder, o => { o.BatchSize = 50; o.FlushInterval = TimeSpan.FromSeconds(5); });
        for (var i = 0; i < 50; i++)
        {
            tracker.TrackUserAction("ann@example.com", i % 20 == 5 ? "poison" : Actions.ExecuteSql);
        }

        Assert.True((await tracker.FlushAsync()).Completed);

        // Totals, not the flush's own counts: with a full batch waiting, the writer may finish before FlushAsync begins.
        var health = tracker.GetHealth();
        Assert.Equal((47L, 3L), (health.Written, health.Quarantined));
        Assert.Equal(47, Tracking.Rows(_folder));
        var lines = Directory.GetFiles(Path.Combine(_folder.Spool, "quarantine")).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Contains("poison actions are refused", l, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task StoreThrowingUnexpectedExceptions_WriterKeepsGoing_AndEventsLand()
    {
        var store = new FaultyStore(Tracking.Store(_folder));
        var thrown = 0;
        store.Throw = () => Interlocked.Increment(ref thrown) switch
        {
            1 => new NullReferenceException("bug in a driver"),
            2 => new InvalidOperationException("connection in a bad state"),
            3 => new FormatException("garbled reply"),
            _ => null,
        };
        await using var tracker = Tracking.Create(_folder, store: store);
        for (var i = 0; i < 1_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.GenerateChart);
        }

        await tracker.FlushAsync();
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 1_000), $"{Tracking.Rows(_folder)} rows");
        Assert.True(thrown >= 3);

        // The writer still serves new events after all that.
        tracker.TrackUserAction("bob@example.com", Actions.GenerateChart);
        Assert.Equal(1, (await tracker.FlushAsync()).Written);
    }

    [Fact(Timeout = 60_000)]
    public async Task FlushAsync_ReturnsAfterEventsAreReadableInTheStore()
    {
        await using var tracker = Tracking.Create(_folder, o => o.FlushInterval = TimeSpan.FromMinutes(10));
        for (var i = 0; i < 1_234; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        }

        var result = await tracker.FlushAsync();

        // The first full batch may be written before FlushAsync begins; what FlushAsync promises is that none is pending after it.
        Assert.True(result.Completed);
        Assert.Equal(0, result.Pending);
        Assert.Equal(1_234, tracker.GetHealth().Written);
        Assert.Equal(1_234, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task DisposeWhileFlushInFlight_LosesNothing()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromMilliseconds(100) };
        var tracker = Tracking.Create(_folder, o => o.BatchSize = 100, store);
        for (var i = 0; i < 2_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var flush = tracker.FlushAsync();
        await tracker.DisposeAsync();
        await flush;

        Assert.Equal(2_000, Tracking.Rows(_folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task QueueFull_OverflowGoesToSpool_AndIsWrittenLater_NotDropped()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromMilliseconds(200) };
        await using var tracker = Tracking.Create(_folder, o => { o.QueueCapacity = 100; o.BatchSize = 50; }, store);
        for (var i = 0; i < 5_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        Assert.True(tracker.GetHealth().Spooled > 0, "overflow should have been spooled");
        store.WriteDelay = TimeSpan.Zero;
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 5_000), $"{Tracking.Rows(_folder)} rows");
        Assert.Empty(tracker.GetHealth().Dropped);
    }

    [Fact(Timeout = 60_000)]
    public async Task QueueFullWithSpoolingOff_DropsAreCountedAndVisible()
    {
        var store = new FaultyStore(Tracking.Store(_folder)) { WriteDelay = TimeSpan.FromMilliseconds(300) };
        await using var tracker = Tracking.Create(_folder, o => { o.QueueCapacity = 100; o.BatchSize = 50; o.SpoolWhenQueueFull = false; }, store);
        for (var i = 0; i < 1_000; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var dropped = tracker.GetHealth().Dropped;
        Assert.True(dropped.TryGetValue("queue_full", out var n) && n > 0, "drops must be counted under queue_full");
        store.WriteDelay = TimeSpan.Zero;
        await tracker.FlushAsync();
        Assert.Equal(1_000 - n, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task FlushAfterDispose_ReturnsAtOnce()
    {
        var tracker = Tracking.Create(_folder);
        await tracker.DisposeAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await tracker.FlushAsync();
        Assert.True(result.Completed);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }
}
