using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Sql;
using UsageTracking.Tests.Corpus;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>User SQL on a real PostgreSQL server: the database refuses writes, and no value or query runs past its limit.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSqlSourceTests(PostgresServer server) : IAsyncLifetime
{
    private PostgresSqlSource _source = null!;

    public Task InitializeAsync()
    {
        _source = new PostgresSqlSource(server.ConnectionString, "pg_class");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private async Task<List<object?[]>> Rows(string sql, SqlLimits limits)
    {
        await using var reader = await _source.OpenAsync(sql, limits, default);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(default))
        {
            rows.Add((object?[])reader.Current.Clone());
        }

        return rows;
    }

    [Theory]
    [InlineData("SELECT repeat('x', 2000000) AS big")]
    [InlineData("SELECT decode(repeat('ab', 2000000), 'hex') AS big")]
    [InlineData("SELECT 1 AS n, repeat('é', 1500000)::varchar AS big")]
    public async Task AValueOverTheCellLimit_FailsWithOneSentence(string sql)
    {
        var limits = new SqlLimits(TimeSpan.FromSeconds(10), 1 << 20);
        var error = await Assert.ThrowsAsync<SqlQueryException>(() => Rows(sql, limits));
        Assert.Equal(limits.ValueTooLarge, error.Message);
    }

    [Fact]
    public async Task ValuesUnderTheCellLimit_ArriveWhole()
    {
        var row = Assert.Single(await Rows("SELECT repeat('x', 1000000) AS t, decode(repeat('ab', 1000), 'hex') AS b, 42 AS n, NULL::text AS nothing",
            new SqlLimits(TimeSpan.FromSeconds(10), 1 << 20)));
        Assert.Equal(1_000_000, ((string)row[0]!).Length);
        Assert.Equal(Enumerable.Repeat((byte)0xab, 1000), (byte[])row[1]!);
        Assert.Equal(42, row[2]);
        Assert.Null(row[3]);
    }

    [Fact]
    public async Task Check_PlansAQuery_WithoutRunningIt()
    {
        var limits = new SqlLimits(TimeSpan.FromSeconds(2));
        // pg_sleep would outlast the timeout if it ran; EXPLAIN only plans it.
        await _source.CheckAsync("SELECT relname, pg_sleep(5) FROM pg_class", limits, default);
        var unknown = await Assert.ThrowsAsync<SqlQueryException>(() => _source.CheckAsync("SELECT nope FROM pg_class", limits, default));
        Assert.Equal("The database says: column \"nope\" does not exist.", unknown.Message);
        await Assert.ThrowsAsync<SqlQueryException>(() => _source.CheckAsync("SELECT 1; DROP TABLE pg_class", limits, default));
    }

    [Fact]
    public async Task AWrite_IsRefusedByTheDatabase()
    {
        var error = await Assert.ThrowsAsync<SqlQueryException>(() => Rows("CREATE TABLE evil (x int)", new SqlLimits(TimeSpan.FromSeconds(10))));
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndlessQuery_IsStoppedAtTheTimeout()
    {
        var error = await Assert.ThrowsAsync<SqlQueryException>(() => Rows("SELECT pg_sleep(30)", new SqlLimits(TimeSpan.FromMilliseconds(300))));
        Assert.Equal("The query ran longer than 0.3 s and was stopped.", error.Message);
    }

    [Fact]
    public async Task TheHostileCorpus_RunWithoutTheGuard_ChangesNothing_AndFailsInSentences()
    {
        var schema = "hostile_" + Guid.NewGuid().ToString("N")[..8];
        await using (var setup = new NpgsqlConnection(server.ConnectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}; CREATE TABLE {schema}.clinical_trials AS SELECT 'NCT' || g AS nct_id, g AS enrollment, 'Study ' || g AS title FROM generate_series(1, 50) g", setup);
            await create.ExecuteNonQueryAsync();
        }

        var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = schema }.ToString();
        await using var source = new PostgresSqlSource(connection, "clinical_trials");
        var files = new[] { "/tmp/out.csv", "/tmp/evil.db", "/tmp/copy.db" }.Where(File.Exists).ToHashSet();
        foreach (var (sql, tries, _) in HostileInputs.Sql.Where(a => !string.IsNullOrWhiteSpace(a.Sql)))
        {
            try
            {
                await using var reader = await source.OpenAsync(sql, new SqlLimits(TimeSpan.FromSeconds(2)), default);
                while (await reader.ReadAsync(default))
                {
                }
            }
            catch (SqlQueryException refused)
            {
                HostileInputs.AssertOneSentence(refused.Message, tries);
            }
        }

        var row = Assert.Single(await Rows($"SELECT count(*), sum(enrollment), (SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}') FROM {schema}.clinical_trials",
            new SqlLimits(TimeSpan.FromSeconds(10))));
        Assert.Equal([50L, 1275L, 1L], row);
        Assert.Empty(new[] { "/tmp/out.csv", "/tmp/evil.db", "/tmp/copy.db" }.Where(File.Exists).Except(files));
    }
}
