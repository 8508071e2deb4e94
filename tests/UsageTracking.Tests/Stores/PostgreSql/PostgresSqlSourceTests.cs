using UsageTracking.PostgreSql;
using UsageTracking.Sql;
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
}
