using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using UsageTracking.Analytics;
using UsageTracking.Databricks;
using UsageTracking.Testing;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.Databricks;

/// <summary>The Databricks store's protocol and delivery, against the Statement Execution API emulator (a fake).</summary>
public sealed class DatabricksTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly string _table = "main.usage.usage_" + Guid.NewGuid().ToString("N")[..8];
    private DatabricksEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await DatabricksEmulator.StartAsync();

    public async Task DisposeAsync()
    {
        await _emulator.DisposeAsync();
        _folder.Dispose();
    }

    private UsageTracker Tracker(Action<UsageTrackingOptions>? configure = null, bool oauth = false, CapturingLoggerProvider? logs = null) =>
        UsageTracker.Create(Tracking.Options(_folder, configure), logs, new DatabricksUsageStore(_emulator.Settings(oauth), _table));

    private long RowsInEmulator()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_emulator.Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{_table.Split('.')[^1]}\"";
        try
        {
            return (long)command.ExecuteScalar()!;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }

    private DatabricksUsageStore TaggedStore() => new(new DatabricksStoreOptions { Settings = _emulator.Settings(), TableName = _table, AppName = "tags-app" });

    [Fact]
    public async Task EveryStatement_IsTaggedWithItsOperationAndTheApp_NeverWithAUser()
    {
        await using var store = TaggedStore();
        await store.EnsureSchemaAsync(true, default);
        var now = DateTimeOffset.UtcNow;
        await store.WriteBatchAsync(
        [
            new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = now, AppName = "tags-app", User = "ann@example.com", Action = Actions.ExecuteSql },
            new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = now, AppName = "tags-app", User = "bob@example.com", Action = Actions.NewConversation, SessionId = "c1" },
        ], default);
        await new UsageAnalytics(store, store).GetDashboardAsync(DashboardQuery.Last(TimeSpan.FromDays(1), now, "tags-app", "ann@example.com"));
        await new UsageAnalytics(store, store).GetDashboardAsync(DashboardQuery.Last(TimeSpan.FromDays(1), now, "tags-app"));

        var tagged = _emulator.QueryTags;
        Assert.Equal(_emulator.StatementTexts.Count, tagged.Count);
        Assert.Contains(tagged, t => t.Tags["operation"] == "merge_batch");
        Assert.Contains(tagged, t => t.Tags["operation"] == "aggregate_conversations");
        foreach (var (statement, tags) in tagged)
        {
            // The tag says what the statement's own label says; the app is the tracker's; no value names a user.
            Assert.StartsWith($"-- usage_tracking:{tags["operation"]}\n", statement, StringComparison.Ordinal);
            Assert.Equal(("usage_tracking", "tags-app"), (tags["client"], tags["app"]));
            Assert.DoesNotContain(tags.Values, v => v!.Contains('@', StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AWorkspaceThatRefusesQueryTags_GetsEveryStatementWithoutThem_AndNothingIsLost()
    {
        _emulator.RefuseQueryTags = true;
        await using var store = TaggedStore();
        await store.EnsureSchemaAsync(true, default);
        var now = DateTimeOffset.UtcNow;
        var written = await store.WriteBatchAsync(
            [.. Enumerable.Range(0, 20).Select(i => new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = now, AppName = "tags-app", User = $"u{i}@example.com", Action = Actions.ExecuteSql })],
            default);

        Assert.Equal(20, written);
        Assert.Equal(20, RowsInEmulator());
        Assert.Empty(_emulator.QueryTags);
        // Refused once, by the first statement; every later one went without tags straight away.
        Assert.Equal(_emulator.StatementTexts.Count + 1, _emulator.Requests.Count(r => r.Kind == "execute"));
    }

    [Theory]
    [InlineData("adb-123.4.azuredatabricks.net", "https://adb-123.4.azuredatabricks.net/")]
    [InlineData("https://adb-123.4.azuredatabricks.net/", "https://adb-123.4.azuredatabricks.net/")]
    [InlineData("http://127.0.0.1:8123", "http://127.0.0.1:8123/")]
    [InlineData("http://localhost:8123", "http://localhost:8123/")]
    public void Host_AcceptsBareHostsHttpsAndLoopbackHttp(string host, string expected) =>
        Assert.Equal(expected, DatabricksSettings.ParseHost(host).ToString());

    [Theory]
    [InlineData("http://adb-123.4.azuredatabricks.net", "https")]
    [InlineData("ftp://host", "https")]
    public void Host_RefusesPlainHttpOffLoopback(string host, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => DatabricksSettings.ParseHost(host)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("/sql/1.0/warehouses/abc123def", "abc123def")]
    [InlineData("sql/1.0/endpoints/f00d", "f00d")]
    public void HttpPath_GivesTheWarehouseId(string path, string id) => Assert.Equal(id, DatabricksSettings.ParseWarehouse(path));

    [Fact]
    public void HttpPath_OfACluster_IsRefusedWithAClearMessage()
    {
        var error = Assert.Throws<ArgumentException>(() => DatabricksSettings.ParseWarehouse("/sql/protocolv1/o/1234567890/0123-456789-abcdefgh"));
        Assert.Contains("cluster", error.Message, StringComparison.Ordinal);
        Assert.Contains("/sql/1.0/warehouses/<id>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_FromEnvironmentOrSection_SectionWins_AndSecretsNeverShow()
    {
        var environment = new Dictionary<string, string?>
        {
            ["DATABRICKS_HOST"] = "https://env-host.cloud.databricks.com",
            ["DATABRICKS_HTTP_PATH"] = "/sql/1.0/warehouses/envwh",
            ["DATABRICKS_CLIENT_ID"] = "sp-id",
            ["DATABRICKS_CLIENT_SECRET"] = "sp-secret-value",
        };
        var fromEnv = DatabricksSettings.Read(null, environment.GetValueOrDefault);
        Assert.Equal(("env-host.cloud.databricks.com", "envwh", "sp-id"), (fromEnv.BaseAddress.Host, fromEnv.WarehouseId, fromEnv.ClientId));
        Assert.DoesNotContain("sp-secret-value", fromEnv.ToString(), StringComparison.Ordinal);

        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Databricks:Host"] = "section-host.azuredatabricks.net",
            ["Databricks:AccessToken"] = "dapi-section",
        }).Build();
        var mixed = DatabricksSettings.Read(section, environment.GetValueOrDefault);
        Assert.Equal(("section-host.azuredatabricks.net", "dapi-section", (string?)null), (mixed.BaseAddress.Host, mixed.AccessToken, mixed.ClientId));

        var missing = Assert.Throws<ArgumentException>(() => DatabricksSettings.Read(null, _ => null));
        Assert.Contains("DATABRICKS_SERVER_HOSTNAME", missing.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Throttled429And503_AreRepeatedAfterRetryAfter_AndLandOnce()
    {
        // The retry budget must leave room for the two Retry-After waits.
        await using var tracker = Tracker(o => o.RetryBudget = TimeSpan.FromSeconds(10));
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.Requests.Clear();
        _emulator.ThrottleNext(2, status: 503, retryAfterSeconds: 1);

        for (var i = 0; i < 100; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        await tracker.FlushAsync();
        Assert.Equal(101, tracker.GetHealth().Written);
        Assert.Equal(101, RowsInEmulator());
        var executes = _emulator.Requests.Where(r => r.Kind == "execute").Select(r => r.At).ToList();
        Assert.Equal(3, executes.Count);
        Assert.True(executes[1] - executes[0] >= TimeSpan.FromMilliseconds(950), "the client should wait Retry-After before repeating");
        Assert.True(executes[2] - executes[1] >= TimeSpan.FromMilliseconds(950), "the client should wait Retry-After before repeating");
    }

    [Fact(Timeout = 60_000)]
    public async Task AFieldThatDoesNotFitItsType_FailsTheStatement_SoTheBatchSplitsAndOnlyThatEventIsQuarantined()
    {
        await using var tracker = Tracker(o => o.BatchSize = 100);
        for (var i = 0; i < 20; i++)
        {
            tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
        }

        // 10^13 dollars does not fit DECIMAL(18,6): a PERMISSIVE from_json would null the whole batch and the MERGE succeed.
        tracker.Track(new UsageEvent { User = "big@example.com", Action = Actions.TokenUsage, Model = "m", CostUsd = 10_000_000_000_000m });
        var flush = await tracker.FlushAsync();

        Assert.Equal(0, _emulator.SilentlyEmptiedBatches);
        Assert.Equal(20, RowsInEmulator());
        Assert.Equal(1, flush.Quarantined);
        var quarantined = Assert.Single(File.ReadAllLines(Directory.GetFiles(Path.Combine(_folder.Spool, "quarantine")).Single()));
        Assert.Contains("big@example.com", quarantined, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task AMergeThatSucceedsWithoutItsRows_IsNotCountedAsWritten_AndIsSentAgain()
    {
        await using var tracker = Tracker(o => { o.BatchSize = 100; o.RetryBudget = TimeSpan.FromSeconds(10); });
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.LoseRowsOfNext(1);
        for (var i = 0; i < 50; i++)
        {
            tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
        }

        // The MERGE "succeeded", but the flush does not call the batch written; it waits in the spool and lands on replay.
        var flush = await tracker.FlushAsync();
        Assert.True(!flush.Completed || RowsInEmulator() == 51, $"a lost batch was reported written: {flush}");
        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 51 && tracker.GetHealth().SpoolFiles == 0), $"{RowsInEmulator()} rows");
        Assert.True(_emulator.Executed("confirm_batch") >= 1, "the shortfall must be checked against the table");
        Assert.Equal(51, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task TheMerge_ReadsOnlyTheBatchsTimeSpanOfTheTable()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 250, TimeSpan.Zero);
        await store.WriteBatchAsync([new UsageEvent { EventId = "e1", Timestamp = at, AppName = "a", User = "u", Action = "x" }, new UsageEvent { EventId = "e2", Timestamp = at.AddHours(1), AppName = "a", User = "u", Action = "x" }], default);

        var merge = _emulator.StatementTexts.Last(t => t.StartsWith("-- usage_tracking:merge_batch", StringComparison.Ordinal));
        Assert.Contains("ON t.event_id = s.event_id AND t.timestamp >= to_timestamp(:since)", merge, StringComparison.Ordinal);
        Assert.Equal("2026-11-30T11:59:59.250Z", _emulator.LastParameter("since"));
    }

    [Fact(Timeout = 60_000)]
    public async Task AReplayedBatchTheTableAlreadyHolds_IsConfirmed_NotWrittenTwice()
    {
        await using var tracker = Tracker(o => o.BatchSize = 100);
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.CommitThenDropNext(1);
        for (var i = 0; i < 30; i++)
        {
            tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
        }

        await tracker.FlushAsync();
        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 31 && tracker.GetHealth().SpoolFiles == 0), $"{RowsInEmulator()} rows");
        Assert.True(_emulator.Executed("confirm_batch") >= 1, "the replay inserts nothing new: the store must look before calling it written");
        Assert.Equal(31, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task ABatchLargerThanAStatementShouldCarry_IsWrittenInSeveralMerges_AllLanding()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        var detail = new string('x', 2_000);
        var batch = Enumerable.Range(0, 5_000).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString(), Timestamp = DateTimeOffset.UtcNow, AppName = "a", User = $"u{i}", Action = "x", Detail = detail,
        }).ToList();

        Assert.Equal(5_000, await store.WriteBatchAsync(batch, default));
        Assert.Equal(5_000, RowsInEmulator());
        Assert.True(_emulator.Executed("merge_batch") >= 3, $"{_emulator.Executed("merge_batch")} merges for about 10 MB");
        // The batch's JSON is sent as a JSON string inside the request, so its quotes are escaped once more.
        Assert.InRange(_emulator.LargestExecuteBytes, 1, (DatabricksUsageStore.MaxStatementBytes * 11 / 10) + 10_000);
    }

    [Fact(Timeout = 60_000)]
    public async Task AnIdleTracker_SendsNoStatement_AndLeavesRetentionToAScheduledJob_SayingSo()
    {
        var logs = new CapturingLoggerProvider();
        // Through DI, as an app registers the store: with its retention capability, which the tracker would run on a loop.
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddDatabricksUsageStore(configure: o => { o.Settings = _emulator.Settings(); o.TableName = _table; });
        services.AddUsageTracking(o =>
        {
            (o.Store, o.AppName, o.DataDirectory, o.SpoolDirectory) = ("databricks", "idle", _folder.Path, _folder.Spool);
            (o.FlushInterval, o.CleanupInterval, o.RetentionDays) = (TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 30);
        });
        await using var provider = services.BuildServiceProvider();
        Assert.False(provider.GetRequiredService<IUsageRetention>().CleansUpPeriodically);
        var tracker = provider.GetRequiredService<IUsageTracker>();
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        Assert.True((await tracker.FlushAsync()).Completed);
        var before = _emulator.ExecutedTotal;

        // Several flush intervals and cleanup intervals with nothing tracked.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(before, _emulator.ExecutedTotal);
        Assert.Equal(0, _emulator.Executed("delete_older"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("sql/databricks/retention.sql", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task ReadingMoreThanOneResultHolds_PagesByKeyset_EveryEventOnce()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        // 30 MB of events, more than the 25 MiB an INLINE result may hold, many sharing a timestamp across page edges.
        var detail = new string('d', 2_000);
        var batch = Enumerable.Range(0, 15_000).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString(), Timestamp = at.AddSeconds(i / 7), AppName = "a", User = $"u{i % 13}", Action = "x", Detail = detail,
        }).ToList();
        await store.WriteBatchAsync(batch, default);
        var before = _emulator.Executed("read_events");

        var read = await store.ReadEventsAsync(UsageQuery.LastDays(1, DateTimeOffset.UtcNow), default).ToListAsync();

        Assert.Equal(15_000, read.Count);
        Assert.Equal(15_000, read.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(read.OrderBy(e => e.Timestamp).ThenBy(e => e.EventId, StringComparer.Ordinal).Select(e => e.EventId), read.Select(e => e.EventId));
        Assert.True(_emulator.Executed("read_events") - before >= 2, "a result this large must come in pages");
        Assert.InRange(_emulator.LargestResultRows, 1, DatabricksUsageStore.ReadPageRows);
    }

    [Theory]
    [InlineData(null, null, 10_000, 30.0)]
    [InlineData("500", "00:00:02", 500, 2.0)]
    public void FromConfiguration_UnsetBatchAndFlush_GetTheWarehousesDefaults(string? batchSize, string? flushInterval, int expectedBatch, double expectedSeconds)
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsageTracking:Store"] = "databricks",
            ["UsageTracking:TableName"] = _table,
            ["UsageTracking:DataDirectory"] = _folder.Path,
            ["UsageTracking:BatchSize"] = batchSize,
            ["UsageTracking:FlushInterval"] = flushInterval,
            ["UsageTracking:Databricks:Host"] = _emulator.BaseAddress.ToString(),
            ["UsageTracking:Databricks:HttpPath"] = $"/sql/1.0/warehouses/{DatabricksEmulator.Warehouse}",
            ["UsageTracking:Databricks:AccessToken"] = DatabricksEmulator.Token,
        }).Build().GetSection("UsageTracking");
        var services = new ServiceCollection();
        services.AddUsageTracking(section);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTrackingOptions>>().Value;
        Assert.Equal(expectedBatch, options.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), options.FlushInterval);
    }

    [Fact(Timeout = 60_000)]
    public async Task NonAsciiText_TravelsAsUtf8_NotAsEscapes()
    {
        await using var tracker = Tracker(o => o.BatchSize = 100);
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        var before = _emulator.ExecuteBytes;
        var detail = string.Concat(Enumerable.Repeat("臨床試験の登録数", 50));
        for (var i = 0; i < 100; i++)
        {
            tracker.Track(new UsageEvent { User = $"u{i}@example.com", Action = Actions.ExecuteSql, Detail = detail });
        }

        await tracker.FlushAsync();
        var sent = _emulator.ExecuteBytes - before;
        // 100 × 400 characters of 3 UTF-8 bytes is 120 KB; as \uXXXX escapes, twice over, it would be 280 KB.
        Assert.InRange(sent, 100 * detail.Length * 3, 100 * detail.Length * 3 + 60_000);
        Assert.Equal(101, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task AThirtyDayDashboard_IsAHandfulOfGroupByStatements_NeverTheRawRows_AndEqualsSqlite()
    {
        var now = new DateTimeOffset(2026, 11, 30, 18, 0, 0, TimeSpan.Zero);
        var random = new Random(7);
        var events = Enumerable.Range(0, 3_000).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString(),
            Timestamp = now.AddMinutes(-random.Next(0, 30 * 24 * 60)),
            AppName = "dash",
            User = $"u{random.Next(25)}@example.com",
            SessionId = $"s{random.Next(300)}",
            Action = UsageActions.Funnel[random.Next(UsageActions.Funnel.Count)],
            DurationMs = random.Next(1, 5_000),
            IsError = random.Next(20) == 0,
        }).ToList();
        await using var databricks = new DatabricksUsageStore(_emulator.Settings(), _table);
        await databricks.EnsureSchemaAsync(true, default);
        await databricks.WriteBatchAsync(events, default);
        using var folder = new TempFolder();
        await using var sqlite = new UsageTracking.Sqlite.SqliteUsageStore(folder.Database);
        await sqlite.EnsureSchemaAsync(true, default);
        await sqlite.WriteBatchAsync(events, default);

        var query = DashboardQuery.Last(TimeSpan.FromDays(30), now, "dash");
        var before = _emulator.ExecutedTotal;
        var fromWarehouse = await new UsageTracking.Analytics.UsageAnalytics(databricks, databricks, new FixedTime(now)).GetDashboardAsync(query);
        var statements = _emulator.ExecutedTotal - before;
        var fromSqlite = await new UsageTracking.Analytics.UsageAnalytics(sqlite, sqlite, new FixedTime(now)).GetDashboardAsync(query);

        Assert.Equal(0, _emulator.Executed("read_events"));
        Assert.InRange(statements, 1, 10);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(fromSqlite), System.Text.Json.JsonSerializer.Serialize(fromWarehouse));
    }

    [Fact(Timeout = 60_000)]
    public async Task DroppedConnectionsBeforeAndAfterCommit_LandEveryEventExactlyOnce()
    {
        await using var tracker = Tracker(o => o.BatchSize = 50);
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.DropNext(2);
        _emulator.CommitThenDropNext(2);
        for (var i = 0; i < 500; i++)
        {
            tracker.TrackUserAction($"u{i % 9}@example.com", Actions.ExecuteSql);
        }

        await tracker.FlushAsync();
        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 501 && tracker.GetHealth().SpoolFiles == 0), $"{RowsInEmulator()} rows");
        Assert.Equal(501, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task LongPendingStatement_IsPolledToCompletion()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        _emulator.MaxWait = TimeSpan.Zero;
        _emulator.StatementTime = TimeSpan.FromSeconds(1.5);
        _emulator.Requests.Clear();

        await store.WriteBatchAsync([new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = DateTimeOffset.UtcNow, AppName = "a", User = "u", Action = "x" }], default);

        Assert.Equal(1, RowsInEmulator());
        Assert.True(_emulator.Requests.Count(r => r.Kind == "status") >= 2, "the client should poll while the statement is PENDING/RUNNING");
    }

    [Fact(Timeout = 60_000)]
    public async Task FailedStatement_NamesHostWarehouseAndTable_AndNeverTheToken()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        _emulator.FailNext("PERMISSION_DENIED", "User does not have MODIFY on Table.", "42501");

        var error = await Assert.ThrowsAsync<DatabricksException>(() => store.WriteBatchAsync(
            [new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = DateTimeOffset.UtcNow, AppName = "a", User = "u", Action = "x" }], default));

        Assert.Contains(_table, error.Message, StringComparison.Ordinal);
        Assert.Contains(DatabricksEmulator.Warehouse, error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(DatabricksEmulator.Token, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
    }

    [Fact(Timeout = 60_000)]
    public async Task APermissionError_IsNotRetried_OpensTheCircuit_LogsOneLine_AndTheSpoolKeepsEveryEvent()
    {
        var logs = new CapturingLoggerProvider();
        await using var tracker = Tracker(o => { o.BatchSize = 100; o.RetryBudget = TimeSpan.FromSeconds(10); o.BreakDuration = TimeSpan.FromSeconds(2); }, logs: logs);
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        var before = _emulator.Executed("merge_batch");
        _emulator.FailWrites("PERMISSION_DENIED", "[INSUFFICIENT_PERMISSIONS] User does not have MODIFY on Table.", "42501");
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
            }

            var flush = await tracker.FlushAsync();
            Assert.False(flush.Completed);
        }

        // Five batches, no retries: at most one statement each, fewer once the circuit is open.
        Assert.InRange(_emulator.FailedWrites, 1, 5);
        var errors = logs.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        var line = Assert.Single(errors).Message;
        Assert.Contains(_table, line, StringComparison.Ordinal);
        Assert.Contains(DatabricksEmulator.Warehouse, line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", line, StringComparison.Ordinal);
        Assert.DoesNotContain(DatabricksEmulator.Token, line, StringComparison.Ordinal);

        _emulator.FailWrites(null, null, null);
        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 101 && tracker.GetHealth().SpoolFiles == 0, TimeSpan.FromSeconds(30)), $"{RowsInEmulator()} rows");
        Assert.Equal(101, RowsInEmulator());
        Assert.True(_emulator.Executed("merge_batch") > before);
    }

    [Fact(Timeout = 60_000)]
    public async Task HostileText_LandsVerbatim_AndNeverAppearsInAStatement()
    {
        const string Hostile = "x'); DROP TABLE central_app_usage; --";
        // A budget that outlasts a slow, shared machine: this test is about what lands, not about retry timing.
        await using var tracker = Tracker(o => o.RetryBudget = TimeSpan.FromSeconds(30));
        tracker.TrackUserAction(Hostile, Hostile);
        tracker.TrackError("ann@example.com", Actions.SqlError, Hostile);
        Assert.True((await tracker.FlushAsync()).Completed);

        await using var reader = new DatabricksUsageStore(_emulator.Settings(), _table);
        var rows = await reader.ReadEventsAsync(UsageQuery.LastDays(1, DateTimeOffset.UtcNow), default).ToListAsync();
        Assert.Contains(rows, r => r.User == Hostile && r.Action == Hostile);
        Assert.Contains(rows, r => r.Detail == Hostile);
        Assert.DoesNotContain(_emulator.StatementTexts, text => text.Contains("DROP TABLE", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task OAuthMachineToMachine_FetchesOneTokenAndReusesIt()
    {
        await using var tracker = Tracker(oauth: true);
        for (var i = 0; i < 3; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.AppStart);
            await tracker.FlushAsync();
        }

        Assert.Equal(3, RowsInEmulator());
        Assert.Equal(1, _emulator.TokensIssued);
    }

    [Fact(Timeout = 60_000)]
    public async Task ACachedOAuthTokenTheWorkspaceRefuses_IsReplacedOnce_AndTheWriteGoesThrough()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(oauth: true), _table);
        await store.EnsureSchemaAsync(true, default);
        Assert.Equal(1, _emulator.TokensIssued);
        _emulator.RevokeOAuthTokens();

        await store.WriteBatchAsync([new UsageEvent { EventId = "e1", Timestamp = DateTimeOffset.UtcNow, AppName = "a", User = "u", Action = "x" }], default);

        Assert.Equal(2, _emulator.TokensIssued);
        Assert.Equal(1, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task RejectedCredentials_AreLoggedWithoutTheToken()
    {
        var logs = new CapturingLoggerProvider();
        var settings = _emulator.Settings();
        var wrong = new DatabricksSettings { BaseAddress = settings.BaseAddress, WarehouseId = settings.WarehouseId, AccessToken = "dapi-wrong-secret-token" };
        await using (var tracker = UsageTracker.Create(Tracking.Options(_folder, o => { o.DebugLogging = true; o.RetryBudget = TimeSpan.Zero; }), logs, new DatabricksUsageStore(wrong, _table)))
        {
            tracker.TrackUserAction("ann@example.com", Actions.AppStart);
            await tracker.FlushAsync();
            Assert.Equal(1, tracker.GetHealth().Spooled);
        }

        Assert.Contains(logs.Entries, e => e.Message.Contains("401", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("dapi-wrong-secret-token", StringComparison.Ordinal));
    }

    [Fact(Timeout = 180_000)]
    public async Task ThirtyPercentThrottlingAndDroppedConnections_HundredThousandEventsLandExactlyOnce()
    {
        const int events = 100_000;
        await using var tracker = Tracker(o => { o.BatchSize = 5_000; o.RetryBudget = TimeSpan.FromSeconds(30); o.ShutdownTimeout = TimeSpan.FromMinutes(2); });
        tracker.TrackUserAction("warm@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.RandomFaultRate = 0.3;
        for (var i = 0; i < events; i++)
        {
            tracker.Track(new UsageEvent { User = $"u{i % 100}@example.com", Action = Actions.ExecuteSql, Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == events + 1 && tracker.GetHealth().SpoolFiles == 0, TimeSpan.FromSeconds(150)),
            $"{RowsInEmulator()} rows; {tracker.GetHealth()}");
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_emulator.Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(DISTINCT detail) FROM \"{_table.Split('.')[^1]}\" WHERE action = 'execute_sql'";
        Assert.Equal(events, (long)command.ExecuteScalar()!);
    }

    [Fact(Timeout = 180_000)]
    public async Task FourTrackersOnOneTable_WithOneMergeInFiveConflicting_LandEveryEventExactlyOnce()
    {
        const int PerTracker = 25_000;
        var folders = Enumerable.Range(0, 4).Select(_ => new TempFolder()).ToList();
        var trackers = folders.Select((folder, n) => UsageTracker.Create(Tracking.Options(folder, o =>
        {
            (o.AppName, o.BatchSize, o.RetryBudget, o.ShutdownTimeout) = ($"app{n}", 2_500, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2));
        }), null, new DatabricksUsageStore(_emulator.Settings(), _table))).ToList();
        try
        {
            trackers[0].TrackUserAction("warm@example.com", Actions.AppStart);
            await trackers[0].FlushAsync();
            _emulator.ConflictRate = 0.2;
            await Task.WhenAll(trackers.Select((tracker, n) => Task.Run(() =>
            {
                for (var i = 0; i < PerTracker; i++)
                {
                    tracker.TrackUserAction($"u{i % 50}@example.com", Actions.ExecuteSql);
                }
            })));

            Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 4 * PerTracker + 1 && trackers.All(t => t.GetHealth().SpoolFiles == 0), TimeSpan.FromSeconds(150)),
                $"{RowsInEmulator()} rows");
            Assert.True(_emulator.Conflicts > 0, "the run must have met conflicts");
            Assert.Equal(4 * PerTracker + 1, Tracking.Scalar(_emulator.Database, $"SELECT COUNT(DISTINCT event_id) FROM \"{_table.Split('.')[^1]}\""));
            Assert.Equal(4 * PerTracker + 1, RowsInEmulator());
        }
        finally
        {
            foreach (var tracker in trackers)
            {
                await tracker.DisposeAsync();
            }

            folders.ForEach(f => f.Dispose());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SeedTable_ConnectionDroppedAfterSending_IsSpooledNotRepeated()
    {
        var table = _table.Split('.')[^1];
        Tracking.Execute(_emulator.Database, $"CREATE TABLE {table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        await using var tracker = Tracker(o => { o.AllowSchemaUpgrade = false; o.RetryBudget = TimeSpan.FromSeconds(10); });
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        _emulator.CommitThenDropNext(1);

        tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);

        // The INSERT committed but its reply was lost: a plain INSERT has no key, so it was spooled, not sent again.
        // (A flush would replay the spool at once; the retry pipeline itself must not repeat it.)
        Assert.True(await Tracking.EventuallyAsync(() => tracker.GetHealth().Spooled == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(2, _emulator.Executed("insert_batch"));
        Assert.Equal(1, tracker.GetHealth().Spooled);
        Assert.Equal(0, tracker.GetHealth().Retries);
    }

    [Fact(Timeout = 120_000)]
    public async Task AColdWarehouse_LeavesNoStatementAbandoned_AndNoBatchSentTwiceWhileRunning()
    {
        await using var tracker = Tracker(o => { o.BatchSize = 500; o.RetryBudget = TimeSpan.FromSeconds(4); o.BreakDuration = TimeSpan.FromSeconds(1); });
        // The warehouse takes 6 s to start: longer than a write's retry budget, as a classic warehouse's minutes are.
        _emulator.ColdUntil = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(6);
        for (var i = 0; i < 3_000; i++)
        {
            tracker.TrackUserAction($"u{i % 40}@example.com", Actions.ExecuteSql);
        }

        await tracker.FlushAsync();
        Assert.True(await Tracking.EventuallyAsync(() => RowsInEmulator() == 3_000 && tracker.GetHealth().SpoolFiles == 0, TimeSpan.FromSeconds(60)), $"{RowsInEmulator()} rows");
        Assert.Equal(0, _emulator.AbandonedStatements);
        Assert.Equal(0, _emulator.ResentWhileRunning);
        Assert.Equal(3_000, RowsInEmulator());
    }

    [Fact(Timeout = 60_000)]
    public async Task CancellingAWrite_CancelsTheStatementOnTheWarehouse()
    {
        await using var store = new DatabricksUsageStore(_emulator.Settings(), _table);
        await store.EnsureSchemaAsync(true, default);
        _emulator.MaxWait = TimeSpan.Zero;
        _emulator.StatementTime = TimeSpan.FromSeconds(30);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteBatchAsync(
            [new UsageEvent { EventId = Guid.NewGuid().ToString(), Timestamp = DateTimeOffset.UtcNow, AppName = "a", User = "u", Action = "x" }], cancel.Token));

        Assert.True(await Tracking.EventuallyAsync(() => _emulator.Cancelled > 0, TimeSpan.FromSeconds(10)), "the client should cancel the statement");
    }
}
