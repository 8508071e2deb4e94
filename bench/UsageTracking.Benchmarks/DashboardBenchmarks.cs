using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using UsageTracking.Analytics;
using UsageTracking.Sqlite;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The dashboard over 10,000,000 events in the embedded store (all in the last 30 days, 500 users, 3 apps, the chatbot's
/// sessions conversations with message lengths and times to first token): every
/// panel for 30 days from the rollups, and the live update, against the store's three stats queries counted from the
/// rows (the baseline: what reading the table itself costs). The file is built once through the store (so its
/// rollups are the ones writes keep) and reused by later runs.
/// </summary>
[Config(typeof(LongInProcessConfig))]
[MemoryDiagnoser]
[MedianColumn]
public class DashboardBenchmarks
{
    internal const int Rows = 10_000_000;
    // A funnel configured for the chatbot over three of its frequent steps: counted from those steps' events, or by the store as it writes.
    private static readonly FunnelDefinition ChatFunnel = new()
    {
        Name = "Conversation", App = "chatbot", Steps = [UsageTracking.Actions.NewConversation, UsageTracking.Actions.NewReply, UsageTracking.Actions.ThumbsUp],
    };

    private static readonly Lazy<SqliteUsageStore> Loaded = new(() => SyntheticUsage.LoadAsync(Rows, [ChatFunnel]).GetAwaiter().GetResult());

    private sealed class LongInProcessConfig : ManualConfig
    {
        public LongInProcessConfig() =>
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(60), logOutput: true)).WithWarmupCount(1).WithIterationCount(6));
    }

    [GlobalSetup]
    public void Setup() => _ = Loaded.Value;

    [Benchmark(Baseline = true, Description = "stats for 30 days: SQLite counting the rows")]
    public long StatsFromRows() => RawRowStats.Sqlite(Loaded.Value.DatabasePath, UsageQuery.LastDays(30, DateTimeOffset.UtcNow));

    [Benchmark(Description = "stats for 30 whole days (UsageAnalytics over the rollups)")]
    public Task<UsageStats> StatsFromRollups() => Analytics.GetStatsAsync(UsageQuery.LastDays(30, DateTimeOffset.UtcNow));

    [Benchmark(Description = "dashboard, every panel, 30 days")]
    public Task<Dashboard> Dashboard() =>
        Analytics.GetDashboardAsync(DashboardQuery.Last(TimeSpan.FromDays(30), DateTimeOffset.UtcNow));

    [Benchmark(Description = "dashboard, every panel, 30 days, one app")]
    public Task<Dashboard> DashboardOneApp() =>
        Analytics.GetDashboardAsync(DashboardQuery.Last(TimeSpan.FromDays(30), DateTimeOffset.UtcNow, "query-app"));

    private static UsageAnalytics Analytics => new(Loaded.Value, Loaded.Value);

    [Benchmark(Description = "configured funnel of three frequent chatbot steps, 30 days, from their events")]
    public Task<FunnelCounts> ConfiguredFunnelFromEvents() =>
        Analytics.CountFunnelAsync(ChatFunnel, UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "chatbot"));

    [Benchmark(Description = "the same funnel, counted by the store as it wrote (IUsageFunnelCounts)")]
    public Task<FunnelCounts> ConfiguredFunnelFromRollups() =>
        new UsageAnalytics(Loaded.Value, Loaded.Value, null, [ChatFunnel], Loaded.Value).CountFunnelAsync(ChatFunnel, UsageQuery.LastDays(30, DateTimeOffset.UtcNow, "chatbot"));

    [Benchmark(Description = "live update (today's counts + 10 newest)")]
    public Task<LiveSnapshot> Live() => Analytics.GetLiveAsync(null);
}

/// <summary>Deterministic synthetic usage written through the SQLite store, cached in the temp folder between runs.</summary>
internal static class SyntheticUsage
{
    private static readonly string[] Apps = ["query-app", "chatbot", "reports"];
    private static readonly (string Action, int Weight)[] Actions =
    [
        (UsageTracking.Actions.AppStart, 6), (UsageTracking.Actions.ViewRandomQuestions, 8), (UsageTracking.Actions.GenerateQuestion, 14),
        (UsageTracking.Actions.SqlQuery, 13), (UsageTracking.Actions.SelectColumns, 4), (UsageTracking.Actions.EditSql, 8),
        (UsageTracking.Actions.ExecuteSql, 16), (UsageTracking.Actions.GenerateChart, 8), (UsageTracking.Actions.GenerateSummary, 6),
        (UsageTracking.Actions.DownloadResults, 5), (UsageTracking.Actions.ThumbsUp, 2), (UsageTracking.Actions.SqlError, 2),
        (UsageTracking.Actions.DatabaseError, 1), (UsageTracking.Actions.LlmError, 1), (UsageTracking.Actions.TokenUsage, 6),
    ];

    // The chatbot's sessions are conversations: a new_conversation, then replies, model calls and thumbs.
    private static readonly (string Action, int Weight)[] ChatActions =
    [
        (UsageTracking.Actions.NewReply, 60), (UsageTracking.Actions.TokenUsage, 30), (UsageTracking.Actions.ThumbsUp, 6), (UsageTracking.Actions.ThumbsDown, 4),
    ];

    public static string PathFor(int rows) => Path.Combine(Path.GetTempPath(), "usage-bench", $"dashboard-{rows}-v3.db");

    public static async Task<SqliteUsageStore> LoadAsync(int rows, IReadOnlyList<FunnelDefinition>? funnels = null)
    {
        var path = PathFor(rows);
        var store = new SqliteUsageStore(path, funnels: funnels);
        if (File.Exists(path) && (await store.GetExtentAsync(null, default)).Rows == rows)
        {
            // As the app's writer does at start: brings rollups written by an older version of the store up to date.
            await store.EnsureSchemaAsync(allowUpgrade: true, default);
            return store;
        }

        await store.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*"))
        {
            File.Delete(file);
        }

        store = new SqliteUsageStore(path, funnels: funnels);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var batch = new List<UsageEvent>(10_000);
        foreach (var e in Generate(rows, DateTimeOffset.UtcNow))
        {
            batch.Add(e);
            if (batch.Count == batch.Capacity)
            {
                await store.WriteBatchAsync(batch, default);
                batch.Clear();
            }
        }

        await store.WriteBatchAsync(batch, default);
        Console.WriteLine($"// loaded {rows:N0} events in {watch.Elapsed.TotalSeconds:N0} s into {path}");
        return store;
    }

    public static IEnumerable<UsageEvent> Generate(int rows, DateTimeOffset now)
    {
        var random = new Random(42);
        var start = now.AddDays(-30).AddMinutes(1);
        var span = (now - start).Ticks;
        var session = "";
        for (var i = 0; i < rows; i++)
        {
            if (i % 8 == 0)
            {
                session = $"s{i / 8:x}";
            }

            var app = (i / 8) % 3 == 0 ? 1 : (i / 8) % 5 == 0 ? 2 : 0;
            var action = app == 1 && i % 8 == 0 ? UsageTracking.Actions.NewConversation : Pick(random, app == 1 ? ChatActions : Actions);
            var tokens = action == UsageTracking.Actions.TokenUsage;
            var message = action is UsageTracking.Actions.NewConversation or UsageTracking.Actions.NewReply;
            yield return new UsageEvent
            {
                EventId = Guid.CreateVersion7(start.AddTicks(span / rows * i)).ToString(),
                Timestamp = start.AddTicks(span / rows * i),
                AppName = Apps[app],
                User = $"user{(i / 8) % 500}@example.com",
                Action = action,
                SessionId = session,
                DurationMs = tokens ? null : Math.Exp(4 + random.NextDouble() * 3),
                Model = tokens ? (random.Next(3) == 0 ? "gpt-4o" : "gpt-4o-mini") : null,
                InputTokens = tokens ? random.Next(200, 4_000) : null,
                OutputTokens = tokens ? random.Next(50, 800) : null,
                CostUsd = tokens ? random.Next(1, 500) / 100_000m : null,
                PropertiesJson = action == UsageTracking.Actions.ExecuteSql ? """{"source":"demo","rows":42}"""
                    : message ? $$"""{"message_length":{{(int)Math.Exp(2 + random.NextDouble() * 5)}},"channel_id":"C{{i % 40}}"}"""
                    : tokens && app == 1 ? $$"""{"ttft_ms":{{random.Next(150, 2_500)}}}""" : null,
            };
        }
    }

    private static string Pick(Random random, (string Action, int Weight)[] actions)
    {
        var roll = random.Next(actions.Sum(a => a.Weight));
        foreach (var (name, weight) in actions)
        {
            if ((roll -= weight) < 0)
            {
                return name;
            }
        }

        return actions[0].Action;
    }
}
