using UsageTracking.Sql;
using UsageTracking.Tests.Corpus;
using UsageTracking.Tests.QueryApp;

namespace UsageTracking.Tests.Stores;

/// <summary>The second lock: even SQL that slipped past the guard cannot write, and no query runs forever.</summary>
public sealed class SqliteSqlSourceTests(DemoDataFixture demo) : IClassFixture<DemoDataFixture>
{
    private async Task<SqlQueryException> Refused(string sql, TimeSpan? timeout = null) =>
        await Assert.ThrowsAsync<SqlQueryException>(async () =>
        {
            await using var reader = await demo.Table.OpenAsync(sql, new SqlLimits(timeout ?? TimeSpan.FromSeconds(10)), default);
            while (await reader.ReadAsync(default))
            {
            }
        });

    [Theory]
    [InlineData("DELETE FROM clinical_trials")]
    [InlineData("UPDATE clinical_trials SET enrollment = 0")]
    [InlineData("CREATE TABLE evil (x)")]
    [InlineData("DROP TABLE clinical_trials")]
    public async Task WritingStatement_IsRefusedByTheConnection_AndChangesNothing(string sql)
    {
        var error = await Refused(sql);
        Assert.Equal("Only read-only queries can run.", error.Message);
        var (_, rows) = await QueryRun.AllAsync(demo.Source, "SELECT COUNT(*), SUM(enrollment) FROM clinical_trials");
        Assert.Equal((long)DemoDataFixture.Studies, rows[0][0]);
        Assert.Equal(demo.Expected.Sum(s => (long)s.Enrollment), rows[0][1]);
    }

    [Fact]
    public async Task SecondStatement_IsRefusedByTheConnection() =>
        Assert.Equal("Only one statement can run at a time.", (await Refused("SELECT 1; DELETE FROM clinical_trials")).Message);

    [Fact]
    public async Task EndlessQuery_IsStoppedAtTheTimeout()
    {
        var error = await Refused("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT COUNT(*) FROM n", TimeSpan.FromMilliseconds(300));
        Assert.Equal("The query ran longer than 0.3 s and was stopped.", error.Message);
    }

    [Fact]
    public async Task UnknownColumn_IsOneSentenceFromTheDatabase() =>
        Assert.Equal("The database says: no such column: nope.", (await Refused("SELECT nope FROM clinical_trials")).Message);

    [Fact]
    public async Task Check_CompilesAQuery_WithoutRunningIt()
    {
        // An endless query: compiling it returns at once; running it would meet the timeout.
        await demo.Table.CheckAsync("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT COUNT(*) FROM n", new SqlLimits(TimeSpan.FromSeconds(30)), default);
        var limits = new SqlLimits(TimeSpan.FromSeconds(10));
        Assert.Equal("The database says: no such column: age.", (await Assert.ThrowsAsync<SqlQueryException>(() => demo.Table.CheckAsync("SELECT AVG(age) FROM clinical_trials", limits, default))).Message);
        Assert.Equal("Only read-only queries can run.", (await Assert.ThrowsAsync<SqlQueryException>(() => demo.Table.CheckAsync("DELETE FROM clinical_trials", limits, default))).Message);
        Assert.Equal("Only one statement can run at a time.", (await Assert.ThrowsAsync<SqlQueryException>(() => demo.Table.CheckAsync("SELECT 1; SELECT 2", limits, default))).Message);
    }

    [Fact]
    public async Task TheHostileCorpus_RunWithoutTheGuard_ChangesNothing_AndFailsInSentences()
    {
        var copies = new[] { "/tmp/copy.db", "/tmp/evil.db", "/tmp/x" }.Where(File.Exists).ToHashSet();
        var (_, schema) = await QueryRun.AllAsync(demo.Source, "SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, '')) FROM sqlite_master");
        foreach (var (sql, tries, _) in HostileInputs.Sql.Where(a => !string.IsNullOrWhiteSpace(a.Sql)))
        {
            try
            {
                await using var reader = await demo.Table.OpenAsync(sql, new SqlLimits(TimeSpan.FromSeconds(2)), default);
                while (await reader.ReadAsync(default))
                {
                }
            }
            catch (SqlQueryException refused)
            {
                HostileInputs.AssertOneSentence(refused.Message, tries);
            }
        }

        var (_, rows) = await QueryRun.AllAsync(demo.Source, "SELECT COUNT(*), SUM(enrollment) FROM clinical_trials");
        Assert.Equal((long)DemoDataFixture.Studies, rows[0][0]);
        Assert.Equal(demo.Expected.Sum(s => (long)s.Enrollment), rows[0][1]);
        Assert.Equal(schema, (await QueryRun.AllAsync(demo.Source, "SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, '')) FROM sqlite_master")).Rows);
        Assert.Empty(new[] { "/tmp/copy.db", "/tmp/evil.db", "/tmp/x" }.Where(File.Exists).Except(copies));
    }
}
