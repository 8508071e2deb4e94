using UsageTracking.PostgreSql;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Services;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>
/// The offline generator's usage-table questions, run on each store's own table with a fixed set of events
/// and checked against answers worked out by hand.
/// </summary>
public abstract class UsageQuestionsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Today = new(DateTimeOffset.UtcNow.UtcDateTime.Date.AddSeconds(1), TimeSpan.Zero);

    protected string Table { get; } = "usage_q_" + Guid.NewGuid().ToString("N")[..8];

    protected abstract IUsageStore CreateStore();

    protected abstract IDataSource CreateSource();

    public async Task InitializeAsync()
    {
        await using var store = CreateStore();
        await store.EnsureSchemaAsync(allowUpgrade: true, default);
        UsageEvent E(DateTimeOffset at, string user, string action, bool error = false) =>
            new() { Timestamp = at, AppName = "query-app", User = user, Action = action, EventId = Guid.NewGuid().ToString("N"), SessionId = user + at.Day, IsError = error };
        var threeDaysAgo = Today.AddDays(-3).AddHours(1);
        var tenDaysAgo = Today.AddDays(-10);
        await store.WriteBatchAsync(
        [
            E(Today, "alice@x.org", Actions.AppStart), E(Today, "alice@x.org", Actions.GenerateQuestion), E(Today, "alice@x.org", Actions.SqlQuery),
            E(Today, "alice@x.org", Actions.EditSql), E(Today, "alice@x.org", Actions.ExecuteSql), E(Today, "bob@x.org", Actions.ExecuteSql),
            E(Today, "bob@x.org", Actions.SqlError, error: true), E(Today, "carol@x.org", Actions.DatabaseError, error: true),
            E(threeDaysAgo, "alice@x.org", Actions.ExecuteSql), E(threeDaysAgo, "dave@x.org", Actions.EditSql),
            E(tenDaysAgo, "erin@x.org", Actions.ExecuteSql),
        ], default);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private async Task<Dictionary<string, long>> Ask(string question)
    {
        var source = CreateSource();
        var answer = await new OfflineSqlGenerator().GenerateAsync(new GenerationRequest(question, source, await source.GetSchemaAsync(default), []), default);
        Assert.True(answer.Outcome == GenerationOutcome.Answered, answer.Message);
        var (_, rows) = await QueryRun.AllAsync(source, answer.Sql!);
        return rows.ToDictionary(r => r[0] switch { DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)! },
            r => Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task EverySuggestedUsageQuestion_RunsOnThisStore()
    {
        foreach (var question in new QuestionBank().All("usage"))
        {
            var source = CreateSource();
            var answer = await new OfflineSqlGenerator().GenerateAsync(new GenerationRequest(question, source, await source.GetSchemaAsync(default), []), default);
            Assert.True(answer.Outcome == GenerationOutcome.Answered, $"{question}: {answer.Message}");
            await QueryRun.AllAsync(source, answer.Sql!);
        }
    }

    [Fact]
    public async Task DailyActiveUsers_CountsDistinctUsersPerDay() =>
        Assert.Equal(new Dictionary<string, long> { [Day(Today)] = 3, [Day(Today.AddDays(-3))] = 2, [Day(Today.AddDays(-10))] = 1 }, await Ask("Daily active users"));

    [Fact]
    public async Task PopularActions_CountTheLastSevenDays() =>
        Assert.Equal(new Dictionary<string, long>
        {
            [Actions.ExecuteSql] = 3, [Actions.EditSql] = 2, [Actions.AppStart] = 1, [Actions.GenerateQuestion] = 1,
            [Actions.SqlQuery] = 1, [Actions.SqlError] = 1, [Actions.DatabaseError] = 1,
        }, await Ask("Most popular actions in the last 7 days"));

    [Fact]
    public async Task SqlEditingPatterns_CountGenerateEditRun() =>
        Assert.Equal(new Dictionary<string, long> { [Actions.ExecuteSql] = 3, [Actions.EditSql] = 2, [Actions.SqlQuery] = 1 }, await Ask("SQL editing patterns in the last 7 days"));

    [Fact]
    public async Task ErrorAnalysis_CountsTodaysErrorsByKind() =>
        Assert.Equal(new Dictionary<string, long> { [Actions.SqlError] = 1, [Actions.DatabaseError] = 1 }, await Ask("Error analysis for today"));
}

public sealed class SqliteUsageQuestionsTests : UsageQuestionsTests, IDisposable
{
    private readonly TempFolder _folder = new();

    protected override IUsageStore CreateStore() => new SqliteUsageStore(_folder.Database, Table);

    protected override IDataSource CreateSource() => new DataSource("usage", "Usage", "usage", new SqliteSqlSource(_folder.Database, Table));

    public void Dispose() => _folder.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresUsageQuestionsTests(PostgresServer server) : UsageQuestionsTests
{
    private readonly List<PostgresSqlSource> _sources = [];

    protected override IUsageStore CreateStore() => new PostgresUsageStore(server.ConnectionString, Table);

    protected override IDataSource CreateSource()
    {
        var source = new PostgresSqlSource(server.ConnectionString, Table);
        _sources.Add(source);
        return new DataSource("usage", "Usage", "usage", source);
    }

    public override async Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }
    }
}
