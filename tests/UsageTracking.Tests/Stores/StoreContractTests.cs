using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Analytics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>
/// The behaviour every store must have, written once. Each store's test class registers the store through its own
/// package (<c>Add…UsageStore()</c>), and the suite asks for the capabilities as a consumer would: the writer, the reader,
/// retention and, where the store has them, aggregates. A store that cannot run here skips with a visible reason.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Day1 = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);
    protected static readonly DateTimeOffset Midnight = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private readonly List<ServiceProvider> _providers = [];

    /// <summary>Registers the store, as its package does, on a table nobody has used; <paramref name="table"/> names it.</summary>
    protected abstract void AddStore(IServiceCollection services, string table);

    /// <summary>Registers the store pointed at a server (or file) that cannot be reached.</summary>
    protected abstract void AddUnreachableStore(IServiceCollection services);

    /// <summary>Creates the table with the seed's DDL: timestamp, app_name, user, action.</summary>
    protected abstract Task CreateSeedTableAsync(string table);

    /// <summary>Makes the database itself refuse rows whose action is <paramref name="action"/> (a constraint, as an operator might add).</summary>
    protected abstract Task RefuseActionAsync(string table, string action);

    protected string Table { get; } = "usage_" + Guid.NewGuid().ToString("N")[..10];

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    private StoreUnderTest NewStore(string? table = null, TimeProvider? time = null) => Resolve(services => AddStore(services, table ?? Table), time);

    private StoreUnderTest Resolve(Action<IServiceCollection> add, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddOptions<UsageTrackingOptions>();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        add(services);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return new StoreUnderTest(provider.GetRequiredService<IUsageStore>(), provider.GetRequiredService<IUsageReader>(),
            provider.GetRequiredService<IUsageRetention>(), provider.GetService<IUsageAggregates>(), time)
        {
            FunnelCounts = provider.GetService<IUsageFunnelCounts>(),
        };
    }

    protected static UsageEvent Event(string user, string action, DateTimeOffset at, string app = "contract", Action<UsageEventBuilder>? more = null)
    {
        var builder = new UsageEventBuilder(user, action, at, app);
        more?.Invoke(builder);
        return builder.Build();
    }

    private static async Task<List<UsageEvent>> ReadAll(StoreUnderTest store, string? app = "contract") =>
        await store.Reader.ReadEventsAsync(new UsageQuery(DateTimeOffset.MinValue.AddYears(2000), DateTimeOffset.UtcNow.AddYears(10), app), default).ToListAsync();

    /// <summary>A store's capabilities, as DI hands them to consumers.</summary>
    private sealed record StoreUnderTest(IUsageStore Store, IUsageReader Reader, IUsageRetention Retention, IUsageAggregates? Aggregates, TimeProvider? Time)
    {
        public IUsageFunnelCounts? FunnelCounts { get; init; }

        public UsageAnalytics Analytics => new(Reader, Aggregates, Time);

        public Task<StoreSchemaMode> EnsureSchemaAsync(bool allowUpgrade, CancellationToken cancellationToken) => Store.EnsureSchemaAsync(allowUpgrade, cancellationToken);

        public Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken) => Store.WriteBatchAsync(batch, cancellationToken);

        public Task<UsageStats> GetStatsAsync(UsageQuery query, CancellationToken cancellationToken) => Analytics.GetStatsAsync(query, cancellationToken);

        public Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => Retention.DeleteOlderThanAsync(cutoff, null, cancellationToken);

        public Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken) => Retention.DeleteUsersAsync(users, cancellationToken);
    }

    [Fact]
    public async Task EnsureSchema_OnMissingTable_CreatesExtendedTable()
    {
        var store = NewStore();
        Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(allowUpgrade: true, default));
        Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(allowUpgrade: true, default));
    }

    [Fact]
    public async Task WriteBatch_ThenRead_RoundTripsEveryField()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        var e = Event("ann@example.com", Actions.TokenUsage, Day1, more: b =>
        {
            b.SessionId = "s-1";
            b.Detail = "detail text";
            b.DurationMs = 12.5;
            b.Model = "gpt-4o-mini";
            b.InputTokens = 1200;
            b.OutputTokens = 340;
            b.CostUsd = 0.000384m;
            b.PropertiesJson = """{"sql":"SELECT 1","rows":3}""";
        });
        await store.WriteBatchAsync([e], default);

        var read = Assert.Single(await ReadAll(store));
        Assert.Equal(e.EventId, read.EventId);
        Assert.Equal(e.Timestamp, read.Timestamp);
        Assert.Equal(("contract", "ann@example.com", Actions.TokenUsage), (read.AppName, read.User, read.Action));
        Assert.Equal(("s-1", "detail text", 12.5, "gpt-4o-mini"), (read.SessionId, read.Detail, read.DurationMs, read.Model));
        Assert.Equal((1200L, 340L), (read.InputTokens!.Value, read.OutputTokens!.Value));
        Assert.Equal(0.000384m, read.CostUsd);
        using var props = JsonDocument.Parse(read.PropertiesJson!);
        Assert.Equal("SELECT 1", props.RootElement.GetProperty("sql").GetString());
    }

    [Fact]
    public async Task WriteBatch_SameEventTwice_LeavesOneRow()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        var batch = Enumerable.Range(0, 10).Select(i => Event($"u{i}@example.com", Actions.ExecuteSql, Day1.AddMinutes(i))).ToList();
        await store.WriteBatchAsync(batch, default);
        await store.WriteBatchAsync(batch, default);
        await store.WriteBatchAsync(batch.Take(3).ToList(), default);
        Assert.Equal(10, (await ReadAll(store)).Count);
    }

    [Fact]
    public async Task GetStats_OnFixedData_MatchesHandComputedAnswer()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        // Day 1: ann ×3 (2 execute_sql, 1 sql_error), bob ×1 edit_sql. Day 2: ann ×1 execute_sql, cid ×2 (database_error, execute_sql).
        // Another app's rows and rows outside the range must not count.
        await store.WriteBatchAsync(
        [
            Event("ann@example.com", Actions.ExecuteSql, Day1),
            Event("ann@example.com", Actions.ExecuteSql, Day1.AddHours(1)),
            Event("ann@example.com", Actions.SqlError, Day1.AddHours(2), more: b => { b.Detail = "near FROM: syntax error"; b.IsError = true; }),
            Event("bob@example.com", Actions.EditSql, Day1.AddHours(3)),
            Event("ann@example.com", Actions.ExecuteSql, Day1.AddDays(1)),
            Event("cid@example.com", Actions.DatabaseError, Day1.AddDays(1).AddHours(1), more: b => b.IsError = true),
            Event("cid@example.com", Actions.ExecuteSql, Day1.AddDays(1).AddHours(2)),
            Event("dan@example.com", Actions.ExecuteSql, Day1, app: "other-app"),
            Event("eve@example.com", Actions.ExecuteSql, Day1.AddDays(-10)),
        ], default);

        var stats = await store.GetStatsAsync(new UsageQuery(Midnight, Midnight.AddDays(2), "contract"), default);

        Assert.Equal(7, stats.TotalEvents);
        Assert.Equal(3, stats.DistinctUsers);
        Assert.Equal(2, stats.ErrorCount);
        Assert.Equal(
            [new ActionCount(Actions.ExecuteSql, 4), new ActionCount(Actions.DatabaseError, 1), new ActionCount(Actions.EditSql, 1), new ActionCount(Actions.SqlError, 1)],
            stats.ByAction);
        Assert.Equal(
            [new DayCount(DateOnly.FromDateTime(Day1.UtcDateTime), 4, 2), new DayCount(DateOnly.FromDateTime(Day1.UtcDateTime).AddDays(1), 3, 2)],
            stats.ByDay);

        var annOnly = await store.GetStatsAsync(new UsageQuery(Midnight, Midnight.AddDays(2), "contract", "ann@example.com"), default);
        Assert.Equal((4L, 1L, 1L), (annOnly.TotalEvents, annOnly.DistinctUsers, annOnly.ErrorCount));

        var allApps = await store.GetStatsAsync(new UsageQuery(Midnight, Midnight.AddDays(2)), default);
        Assert.Equal(8, allApps.TotalEvents);
    }

    [Fact]
    public async Task GetStats_WholeDayAndExactRanges_Agree_AfterWritesRetentionAndErasure()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        var users = new[] { "ann@example.com", "bob@example.com", "cid@example.com" };
        string[] actions = [Actions.ExecuteSql, Actions.SqlError, Actions.EditSql, Actions.AppStart];
        await store.WriteBatchAsync(Enumerable.Range(0, 400).Select(i =>
            Event(users[i % 3], actions[i % 4], Midnight.AddDays(-3).AddMinutes(30 + i * 17 % (6 * 24 * 60 - 60)))).ToList(), default);
        await store.DeleteOlderThanAsync(Midnight.AddDays(-1), default);
        await store.DeleteUsersAsync(["bob@example.com"], default);

        // Whole UTC days (stores may answer from rollups) versus a range a second inside them (stores count rows).
        var whole = await store.GetStatsAsync(new UsageQuery(Midnight.AddDays(-2), Midnight.AddDays(3), "contract"), default);
        var exact = await store.GetStatsAsync(new UsageQuery(Midnight.AddDays(-2).AddSeconds(1), Midnight.AddDays(3).AddSeconds(-1), "contract"), default);

        Assert.True(whole.TotalEvents > 0);
        Assert.Equal((exact.TotalEvents, exact.DistinctUsers, exact.ErrorCount), (whole.TotalEvents, whole.DistinctUsers, whole.ErrorCount));
        Assert.Equal(exact.ByAction, whole.ByAction);
        Assert.Equal(exact.ByDay, whole.ByDay);
        Assert.Equal(2, whole.DistinctUsers);
        Assert.DoesNotContain(whole.ByDay, d => d.Day < DateOnly.FromDateTime(Midnight.AddDays(-1).UtcDateTime));
    }

    [Fact]
    public async Task GetStats_OnEmptyOrMissingTable_ReturnsZeros()
    {
        var store = NewStore();
        var stats = await store.GetStatsAsync(new UsageQuery(Day1, Day1.AddDays(1), "contract"), default);
        Assert.Equal((0L, 0L, 0L), (stats.TotalEvents, stats.DistinctUsers, stats.ErrorCount));
        Assert.Empty(stats.ByAction);
    }

    [Fact]
    public async Task DeleteOlderThan_RemovesOnlyOlderRows()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await store.WriteBatchAsync(Enumerable.Range(0, 30).Select(i => Event("ann@example.com", Actions.AppStart, Day1.AddDays(-i))).ToList(), default);

        var deleted = await store.DeleteOlderThanAsync(Day1.AddDays(-9.5), default);

        Assert.Equal(20, deleted);
        var left = await ReadAll(store);
        Assert.Equal(10, left.Count);
        Assert.All(left, e => Assert.True(e.Timestamp >= Day1.AddDays(-9.5)));
    }

    [Fact]
    public async Task DeleteUsers_RemovesOnlyThoseUsersRows()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await store.WriteBatchAsync(
        [
            Event("ann@example.com", Actions.AppStart, Day1),
            Event("ann@example.com", Actions.ExecuteSql, Day1.AddMinutes(1)),
            Event("bob@example.com", Actions.AppStart, Day1),
            Event("o'brien@example.com", Actions.AppStart, Day1),
        ], default);

        Assert.Equal(3, await store.DeleteUsersAsync(["ann@example.com", "o'brien@example.com", "nobody@example.com"], default));
        Assert.Equal(["bob@example.com"], (await ReadAll(store)).Select(e => e.User));
    }

    [Theory]
    [InlineData("x'); DROP TABLE central_app_usage; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("Robert'); DELETE FROM usage; --")]
    [InlineData("zoë 😀 नमस्ते \t tab \n newline")]
    public async Task WriteBatch_HostileOrUnicodeText_LandsVerbatim(string text)
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await store.WriteBatchAsync([Event(text, text, Day1, more: b => b.Detail = text)], default);
        var read = Assert.Single(await ReadAll(store));
        Assert.Equal((text, text, text), (read.User, read.Action, read.Detail));
    }

    [Fact]
    public async Task EnsureSchema_OnSeedTableWithoutUpgrade_WritesFourColumnsAndErrorsAsTypeColonMessage()
    {
        await CreateSeedTableAsync(Table);
        var store = NewStore();
        Assert.Equal(StoreSchemaMode.Compat, await store.EnsureSchemaAsync(allowUpgrade: false, default));

        await store.WriteBatchAsync(
        [
            Event("ann@example.com", Actions.ExecuteSql, Day1),
            Event("ann@example.com", Actions.SqlError, Day1.AddMinutes(1), more: b => { b.Detail = "no such column: foo"; b.IsError = true; }),
        ], default);

        var rows = await ReadAll(store);
        Assert.Equal([Actions.ExecuteSql, "sql_error: no such column: foo"], rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.Null(r.EventId));
        var stats = await store.GetStatsAsync(new UsageQuery(Midnight, Midnight.AddDays(1), "contract"), default);
        Assert.Equal(1, stats.ErrorCount);
    }

    [Fact]
    public async Task EnsureSchema_OnSeedTableWithUpgrade_AddsExtendedColumnsAndKeepsRows()
    {
        await CreateSeedTableAsync(Table);
        var compat = NewStore();
        await compat.EnsureSchemaAsync(allowUpgrade: false, default);
        await compat.WriteBatchAsync([Event("old@example.com", Actions.AppStart, Day1)], default);

        var store = NewStore();
        Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(allowUpgrade: true, default));
        var e = Event("new@example.com", Actions.ExecuteSql, Day1.AddMinutes(1), more: b => b.SessionId = "s");
        await store.WriteBatchAsync([e, e], default);

        var rows = await ReadAll(store);
        Assert.Equal(["old@example.com", "new@example.com"], rows.Select(r => r.User));
        Assert.Equal("s", rows[1].SessionId);
    }

    [Fact]
    public async Task IsError_IsStored_SoAnErrorTypeNotNamedLikeOneCountsEverywhere()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await store.WriteBatchAsync(
        [
            Event("ann@example.com", "rate_limit", Day1, more: b => { b.Detail = "429 from the model"; b.IsError = true; }),
            Event("ann@example.com", "timeout", Day1.AddMinutes(1), more: b => b.IsError = true),
            Event("ann@example.com", Actions.ExecuteSql, Day1.AddMinutes(2)),
        ], default);

        var rows = await ReadAll(store);
        Assert.Equal([true, true, false], rows.Select(r => r.IsError));
        var day = new UsageQuery(Midnight, Midnight.AddDays(1), "contract");
        Assert.Equal(2, (await store.GetStatsAsync(day, default)).ErrorCount);
        // A range that is not whole days is counted from the rows, which must agree.
        Assert.Equal(2, (await store.GetStatsAsync(day with { Since = Midnight.AddSeconds(1) }, default)).ErrorCount);
        var dashboard = await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Midnight.AddHours(23))).GetDashboardAsync(new DashboardQuery(Midnight, Midnight.AddDays(1), "contract"));
        Assert.Equal(2, dashboard.Kpis.Errors);
        Assert.Equal(["rate_limit", "timeout"], dashboard.ErrorsOverTime.Select(e => e.Type).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SeedRowsWithoutTheFlag_AreErrorsByTheirName_AfterTheUpgrade()
    {
        await CreateSeedTableAsync(Table);
        var compat = NewStore();
        await compat.EnsureSchemaAsync(allowUpgrade: false, default);
        await compat.WriteBatchAsync(
        [
            Event("old@example.com", Actions.SqlError, Day1, more: b => { b.Detail = "no such column: x"; b.IsError = true; }),
            Event("old@example.com", Actions.ExecuteSql, Day1.AddMinutes(1)),
        ], default);

        var store = NewStore();
        await store.EnsureSchemaAsync(allowUpgrade: true, default);
        await store.WriteBatchAsync([Event("new@example.com", "rate_limit", Day1.AddMinutes(2), more: b => b.IsError = true)], default);

        Assert.Equal([true, false, true], (await ReadAll(store)).Select(r => r.IsError));
        Assert.Equal(2, (await store.GetStatsAsync(new UsageQuery(Midnight, Midnight.AddDays(1), "contract"), default)).ErrorCount);
    }

    [Fact]
    public async Task DeleteOlderThan_ForOneApp_LeavesOtherAppsRows()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await store.WriteBatchAsync(
        [
            Event("ann@example.com", Actions.AppStart, Day1.AddDays(-30)),
            Event("ann@example.com", Actions.AppStart, Day1),
            Event("bob@example.com", Actions.AppStart, Day1.AddDays(-30), app: "other-app"),
        ], default);

        Assert.Equal(1, await store.Retention.DeleteOlderThanAsync(Day1.AddDays(-1), "contract", default));
        Assert.Single(await ReadAll(store));
        Assert.Single(await ReadAll(store, "other-app"));
    }

    [Fact]
    public async Task Classify_TheStoresOwnRefusalOfOneRow_IsRejected_SoTheTrackerQuarantinesOnlyThatEvent()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        await RefuseActionAsync(Table, "forbidden_action");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.WriteBatchAsync([Event("ann@example.com", "forbidden_action", Day1)], default));

        Assert.Equal(StoreErrorKind.Rejected, store.Store.Classify(error));
        await store.WriteBatchAsync([Event("ann@example.com", Actions.AppStart, Day1)], default);
        Assert.Single(await ReadAll(store));
    }

    [Fact]
    public async Task Classify_AnUnreachableStore_IsTransient_NotTheDatasFault()
    {
        var store = Resolve(AddUnreachableStore);
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await store.EnsureSchemaAsync(true, default);
            await store.WriteBatchAsync([Event("ann@example.com", Actions.AppStart, Day1)], default);
        });

        Assert.Equal(StoreErrorKind.Transient, store.Store.Classify(error));
    }

    [Fact(Timeout = 60_000)]
    public async Task UnreachableStore_OpensTheCircuit_AndEveryEventWaitsInTheSpool()
    {
        using var folder = new TempFolder();
        var store = Resolve(AddUnreachableStore);
        await using var tracker = UsageTracker.Create(Tracking.Options(folder, o => { o.RetryBudget = TimeSpan.Zero; o.BatchSize = 5; o.BreakDuration = TimeSpan.FromMinutes(5); }),
            loggerFactory: null, store: store.Store);
        for (var i = 0; i < 20; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        }

        var flush = await tracker.FlushAsync();
        var health = tracker.GetHealth();

        Assert.False(flush.Completed);
        Assert.True(health.CircuitOpen, "repeated transient failures must open the circuit");
        Assert.Equal(20, flush.OnDisk);
        Assert.Equal((0L, 0L), (health.Written, health.Quarantined));
        Assert.Empty(health.Dropped);
    }
}

/// <summary>Sets the optional fields of a test event.</summary>
public sealed class UsageEventBuilder(string user, string action, DateTimeOffset at, string app)
{
    public string? SessionId { get; set; }
    public string? Detail { get; set; }
    public double? DurationMs { get; set; }
    public string? Model { get; set; }
    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    public decimal? CostUsd { get; set; }
    public string? PropertiesJson { get; set; }
    public bool IsError { get; set; }

    public UsageEvent Build() => new()
    {
        EventId = Guid.CreateVersion7(at).ToString(),
        Timestamp = at,
        AppName = app,
        User = user,
        Action = action,
        SessionId = SessionId,
        Detail = Detail,
        DurationMs = DurationMs,
        Model = Model,
        InputTokens = InputTokens,
        OutputTokens = OutputTokens,
        CostUsd = CostUsd,
        PropertiesJson = PropertiesJson,
        IsError = IsError,
    };
}
