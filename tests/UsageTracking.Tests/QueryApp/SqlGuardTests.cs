using UsageTracking.QueryApp.Sql;
using UsageTracking.Sql;
using UsageTracking.Tests.Corpus;

namespace UsageTracking.Tests.QueryApp;

public sealed class SqlGuardTests
{
    // The corpus of hostile inputs, shared with the tests that send it to every data source.
    public static TheoryData<string> Attacks
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var (sql, _, _) in HostileInputs.Sql)
            {
                data.Add(sql);
            }

            return data;
        }
    }

    public static TheoryData<string> Allowed => new()
    {
        "SELECT 1",
        "select count(*) from clinical_trials;",
        "SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase ORDER BY studies DESC",
        "WITH t AS (SELECT * FROM clinical_trials) SELECT count(*) FROM t",
        "SELECT replace(title, 'Study', 'Trial') FROM clinical_trials",
        "SELECT 'DROP TABLE x; DELETE FROM y' AS text",
        "SELECT \"update\" FROM (SELECT 1 AS \"update\")",
        "SELECT 1 -- a trailing comment",
        "/* leading comment */ SELECT 1",
        "(SELECT 1)",
        "SELECT * FROM clinical_trials WHERE title LIKE '%;%'",
        "SELECT a.\"delete\" FROM (SELECT 1 AS \"delete\") AS a",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void Attack_IsRefusedWithOneSentence(string sql)
    {
        foreach (var dialect in HostileInputs.Sql.Single(a => a.Sql == sql).Dialects)
        {
            var check = SqlGuard.Check(sql, dialect);
            Assert.False(check.IsAllowed, $"{dialect} allowed: {sql}");
            HostileInputs.AssertOneSentence(check.Reason, $"{dialect}: {sql}");
        }
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void ReadOnlyQuery_IsAllowed(string sql)
    {
        var check = SqlGuard.Check(sql, SqlDialect.Sqlite);
        Assert.True(check.IsAllowed, check.Reason);
        Assert.False(check.Sql.EndsWith(';'));
    }

    [Fact]
    public void QuotingOrQualifyingAName_DoesNotHideIt()
    {
        Assert.Equal("The function load_extension is not allowed in queries.", SqlGuard.Check("SELECT \"load_extension\"('x')", SqlDialect.Sqlite).Reason);
        Assert.Equal("The function readfile is not allowed in queries.", SqlGuard.Check("SELECT [readfile]('/etc/passwd')", SqlDialect.Sqlite).Reason);
        Assert.Equal("The function pg_read_file is not allowed in queries.", SqlGuard.Check("SELECT pg_catalog.pg_read_file('/etc/passwd')", SqlDialect.Postgres).Reason);
        Assert.Equal("The function reflect is not allowed in queries.", SqlGuard.Check("SELECT `reflect`('java.lang.Runtime', 'getRuntime')", SqlDialect.Databricks).Reason);
    }

    [Theory]
    [InlineData("SELECT * FROM pragma_table_info('clinical_trials')")]
    [InlineData("SELECT name FROM pragma_index_list('clinical_trials')")]
    [InlineData("SELECT * FROM pragma_foreign_key_list('clinical_trials')")]
    public void PragmaFunctionsThatDescribeTables_AreAllowed(string sql) => Assert.True(SqlGuard.Check(sql, SqlDialect.Sqlite).IsAllowed);

    [Fact]
    public void OtherPragmaFunctions_AreRefusedNamingTheAllowedOnes() =>
        Assert.Equal("pragma_database_list is not allowed in queries; of the pragma functions only pragma_foreign_key_list, pragma_index_info, pragma_index_list, pragma_index_xinfo, pragma_table_info, pragma_table_xinfo can be read.",
            SqlGuard.Check("SELECT * FROM pragma_database_list", SqlDialect.Sqlite).Reason);

    [Fact]
    public void RefusalNamesTheStatementKind()
    {
        Assert.Equal("Only read-only SELECT or WITH queries can run; this one starts with DROP.", SqlGuard.Check("drop table x", SqlDialect.Sqlite).Reason);
        Assert.Equal("Only one statement can run at a time; remove everything after the first semicolon.", SqlGuard.Check("SELECT 1; SELECT 2", SqlDialect.Sqlite).Reason);
    }

    [Fact]
    public void DatabricksBackslashEscape_DoesNotEndTheString()
    {
        // In Spark SQL 'it\'s; DROP' is one string; reading \' as the end would let "; DROP" look like code, or the reverse.
        Assert.True(SqlGuard.Check(@"SELECT 'it\'s; DROP TABLE x' AS s", SqlDialect.Databricks).IsAllowed);
        // The same text is one string in Spark SQL but a string, then code, in SQLite: each dialect reads it its own way.
        const string sql = @"SELECT 'a\'; DROP TABLE x; SELECT '";
        Assert.True(SqlGuard.Check(sql, SqlDialect.Databricks).IsAllowed);
        Assert.False(SqlGuard.Check(sql, SqlDialect.Sqlite).IsAllowed);
    }
}
