using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Databricks;

namespace UsageTracking.Tests.Stores.Databricks;

/// <summary>Runs only when a real warehouse is configured; otherwise skipped, saying what to set.</summary>
public sealed class LiveDatabricksFactAttribute : FactAttribute
{
    public LiveDatabricksFactAttribute()
    {
        var host = Environment.GetEnvironmentVariable("DATABRICKS_SERVER_HOSTNAME") ?? Environment.GetEnvironmentVariable("DATABRICKS_HOST");
        var credentials = Environment.GetEnvironmentVariable("DATABRICKS_ACCESS_TOKEN") ?? Environment.GetEnvironmentVariable("DATABRICKS_CLIENT_SECRET");
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DATABRICKS_HTTP_PATH")) || string.IsNullOrWhiteSpace(credentials))
        {
            Skip = "No Databricks workspace: set DATABRICKS_SERVER_HOSTNAME, DATABRICKS_HTTP_PATH and DATABRICKS_ACCESS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET) to run the store contract against a real warehouse.";
        }
    }
}

/// <summary>
/// The store contract against a real SQL warehouse. xunit 2 cannot skip an inherited suite at run time, so one test
/// runs every contract test of <see cref="StoreContractTests"/> in turn and reports the ones that fail.
/// Tables are created as <c>usage_tracking_live_&lt;id&gt;</c> (in DATABRICKS_TABLE_PREFIX's catalog.schema when set) and dropped after.
/// </summary>
public sealed class DatabricksLiveTests
{
    [LiveDatabricksFact]
    public async Task StoreContract_PassesOnALiveWarehouse()
    {
        var failures = new List<string>();
        foreach (var method in typeof(StoreContractTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
                     .Where(m => m.GetCustomAttributes<FactAttribute>().Any()))
        {
            var cases = method.GetCustomAttributes<InlineDataAttribute>().Select(d => d.GetData(method).Single()).DefaultIfEmpty([]).ToList();
            foreach (var arguments in cases)
            {
                var suite = new LiveContract();
                await suite.InitializeAsync();
                try
                {
                    await (Task)method.Invoke(suite, arguments)!;
                }
                catch (Exception ex)
                {
                    failures.Add($"{method.Name}: {(ex is TargetInvocationException { InnerException: { } inner } ? inner.Message : ex.Message)}");
                }
                finally
                {
                    await suite.DisposeAsync();
                }
            }
        }

        Assert.Empty(failures);
    }

    /// <summary>A scratch table on the live warehouse, dropped when disposed.</summary>
    private sealed class LiveTable : IAsyncDisposable
    {
        private readonly string _prefix = Environment.GetEnvironmentVariable("DATABRICKS_TABLE_PREFIX") is { Length: > 0 } p ? p + "." : "";

        public LiveTable() => Name = _prefix + "usage_tracking_live_" + Guid.NewGuid().ToString("N")[..10];

        public DatabricksSettings Settings { get; } = DatabricksSettings.Read(null);

        public string Name { get; }

        public DatabricksUsageStore Store() => new(new DatabricksStoreOptions { Settings = Settings, TableName = Name, AppName = "usage-tracking-live-tests" });

        /// <summary>Distinct event ids and rows of the last day, as the store reads them back.</summary>
        public async Task<(long Distinct, long Rows)> RowsAsync()
        {
            await using var store = Store();
            var ids = new HashSet<string?>();
            var rows = 0L;
            await foreach (var e in store.ReadEventsAsync(new UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)), default))
            {
                ids.Add(e.EventId);
                rows++;
            }

            return (ids.Count, rows);
        }

        public async ValueTask DisposeAsync()
        {
            await using var store = Store();
            await store.ExecuteForTestsAsync($"DROP TABLE IF EXISTS {Name}");
        }
    }

    [LiveDatabricksFact]
    public async Task AFieldThatDoesNotFitItsType_IsQuarantined_AndTheRestOfItsBatchLands_OnALiveWarehouse()
    {
        await using var table = new LiveTable();
        using var folder = new Support.TempFolder();
        await using (var tracker = UsageTracker.Create(Support.Tracking.Options(folder, o => o.BatchSize = 100), null, table.Store()))
        {
            for (var i = 0; i < 20; i++)
            {
                tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
            }

            // 10^13 dollars does not fit DECIMAL(18,6): FAILFAST fails the statement, the batch splits, one event is quarantined.
            tracker.Track(new UsageEvent { User = "big@example.com", Action = Actions.TokenUsage, Model = "m", CostUsd = 10_000_000_000_000m });
            var flush = await tracker.FlushAsync();
            Assert.Equal(1, flush.Quarantined);
        }

        Assert.Equal((20L, 20L), await table.RowsAsync());
    }

    [LiveDatabricksFact]
    public async Task FourTrackersOnOneTable_LandEveryEventExactlyOnce_OnALiveWarehouse()
    {
        // Smaller than the emulator's 100,000 (a warehouse bills by the minute); concurrent MERGEs into one table meet
        // DELTA_CONCURRENT_APPEND on their own there, which the store retries.
        const int PerTracker = 2_500;
        await using var table = new LiveTable();
        var folders = Enumerable.Range(0, 4).Select(_ => new Support.TempFolder()).ToList();
        var trackers = folders.Select((folder, n) => UsageTracker.Create(Support.Tracking.Options(folder, o =>
        {
            (o.AppName, o.BatchSize, o.RetryBudget, o.ShutdownTimeout) = ($"app{n}", 500, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5));
        }), null, table.Store())).ToList();
        try
        {
            await Task.WhenAll(trackers.Select((tracker, n) => Task.Run(() =>
            {
                for (var i = 0; i < PerTracker; i++)
                {
                    tracker.TrackUserAction($"u{i % 50}@example.com", Actions.ExecuteSql);
                }
            })));
            foreach (var tracker in trackers)
            {
                Assert.True((await tracker.FlushAsync()).Completed);
            }
        }
        finally
        {
            foreach (var tracker in trackers)
            {
                await tracker.DisposeAsync();
            }

            folders.ForEach(f => f.Dispose());
        }

        Assert.Equal((4L * PerTracker, 4L * PerTracker), await table.RowsAsync());
    }

    [LiveDatabricksFact]
    public async Task AMissingCatalog_OpensTheCircuit_WithOneLogLine_AndTheSpoolKeepsTheEvents_OnALiveWarehouse()
    {
        var settings = DatabricksSettings.Read(null);
        var logs = new Support.CapturingLoggerProvider();
        using var folder = new Support.TempFolder();
        var name = "usage_tracking_no_such_catalog_" + Guid.NewGuid().ToString("N")[..8] + ".s.t";
        await using var tracker = UsageTracker.Create(Support.Tracking.Options(folder, o =>
        {
            (o.BatchSize, o.RetryBudget, o.BreakDuration) = (100, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        }), logs, new DatabricksUsageStore(settings, name));
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                tracker.TrackUserAction($"u{i}@example.com", Actions.ExecuteSql);
            }

            Assert.False((await tracker.FlushAsync()).Completed);
        }

        var line = Assert.Single(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error).Message;
        Assert.Contains(name, line, StringComparison.Ordinal);
        Assert.Contains(settings.WarehouseId, line, StringComparison.Ordinal);
        Assert.True(tracker.GetHealth().SpoolFiles > 0, "the events must wait in the spool");
    }

    [LiveDatabricksFact]
    public async Task AStatementTheClientStopsWaitingFor_IsCancelledOnTheWarehouse_NotLeftRunning()
    {
        await using var table = new LiveTable();
        await using var store = table.Store();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(8));

        // Long enough to outlast the submit's 5 s wait and the caller's 8 s.
        var cancelled = await Assert.ThrowsAsync<StatementCancelledException>(() => store.ExecuteForTestsAsync("SELECT count(*) FROM range(100000000000)", cancel.Token));
        Assert.True(cancelled.HadNoEffect, $"the statement ended {cancelled.FinalState}");
    }

    private sealed class LiveContract : StoreContractTests
    {
        private readonly DatabricksSettings _settings = DatabricksSettings.Read(null);
        private readonly HashSet<string> _tables = [];
        private readonly string _prefix = Environment.GetEnvironmentVariable("DATABRICKS_TABLE_PREFIX") is { Length: > 0 } p ? p + "." : "";

        private string Name(string table) => _prefix + "usage_tracking_live_" + table;

        protected override void AddStore(IServiceCollection services, string table)
        {
            _tables.Add(Name(table));
            services.AddDatabricksUsageStore(configure: o => { o.Settings = _settings; o.TableName = Name(table); });
        }

        protected override void AddUnreachableStore(IServiceCollection services) =>
            services.AddDatabricksUsageStore(configure: o => o.Settings = new DatabricksSettings
            {
                BaseAddress = new Uri("https://127.0.0.1:1/"),
                WarehouseId = _settings.WarehouseId,
                AccessToken = "not-a-token",
            });

        protected override Task CreateSeedTableAsync(string table) =>
            ExecuteAsync(table, $"CREATE TABLE IF NOT EXISTS {Name(table)} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING) USING DELTA");

        protected override Task RefuseActionAsync(string table, string action) =>
            ExecuteAsync(table, $"ALTER TABLE {Name(table)} ADD CONSTRAINT refuse_action CHECK (action <> '{action}')");

        private async Task ExecuteAsync(string table, string sql)
        {
            _tables.Add(Name(table));
            await using var store = new DatabricksUsageStore(_settings, Name(table));
            await store.ExecuteForTestsAsync(sql);
        }

        public override async Task DisposeAsync()
        {
            foreach (var table in _tables)
            {
                await using var store = new DatabricksUsageStore(_settings, table);
                await store.ExecuteForTestsAsync($"DROP TABLE IF EXISTS {table}");
            }

            await base.DisposeAsync();
        }
    }
}
