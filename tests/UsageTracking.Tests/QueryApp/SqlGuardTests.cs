using UsageTracking.QueryApp.Sql;
using UsageTracking.Sql;

namespace UsageTracking.Tests.QueryApp;

public sealed class SqlGuardTests
{
    // Each must be refused, on every dialect where it parses. The comment says what the attack tries.
    public static TheoryData<string> Attacks => new()
    {
        "DROP TABLE clinical_trials",
        "DELETE FROM clinical_trials",
        "UPDATE clinical_trials SET enrollment = 0",
        "INSERT INTO clinical_trials (nct_id) VALUES ('x')",
        "REPLACE INTO clinical_trials (nct_id) VALUES ('x')",
        "INSERT OR REPLACE INTO clinical_trials (nct_id) VALUES ('x')",
        "CREATE TABLE t AS SELECT * FROM clinical_trials",
        "ALTER TABLE clinical_trials ADD COLUMN x TEXT",
        "PRAGMA writable_schema = 1",
        "PRAGMA table_info(clinical_trials)",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "DETACH DATABASE main",
        "VACUUM",
        "VACUUM INTO '/tmp/copy.db'",
        "BEGIN; DELETE FROM clinical_trials; COMMIT",
        "SELECT 1; DROP TABLE clinical_trials",
        "SELECT 1; SELECT 2",
        "SELECT 1;; ",
        "SELECT * FROM clinical_trials; -- trailing\nDELETE FROM clinical_trials",
        "/* harmless */ DROP TABLE clinical_trials",
        "-- just a comment\nDELETE FROM clinical_trials",
        "/* unterminated SELECT 1",
        "SELECT 'unterminated",
        "SELECT \"unterminated FROM t",
        "WITH gone AS (DELETE FROM clinical_trials RETURNING *) SELECT * FROM gone",
        "WITH x AS (SELECT 1) INSERT INTO clinical_trials SELECT * FROM x",
        "SELECT * INTO backup FROM clinical_trials",
        "SELECT * FROM clinical_trials FOR UPDATE",
        "SELECT load_extension('/tmp/evil.so')",
        "SELECT readfile('/etc/passwd')",
        "SELECT writefile('/tmp/x', 'y')",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_sleep(100)",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        "SELECT * FROM clinical_trials WHERE nct_id = :id",
        "SELECT * FROM clinical_trials WHERE nct_id = ?",
        "SELECT * FROM clinical_trials WHERE nct_id = $1",
        "EXPLAIN SELECT 1",
        "COPY clinical_trials TO '/tmp/out.csv'",
        "GRANT ALL ON clinical_trials TO public",
        "TRUNCATE clinical_trials",
        "SELECT 1\0; DROP TABLE x",
        "",
        "   ",
        "-- only a comment",
        "SHOW TABLES",
        "CALL system.drop()",
    };

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
        foreach (var dialect in Enum.GetValues<SqlDialect>())
        {
            var check = SqlGuard.Check(sql, dialect);
            Assert.False(check.IsAllowed, $"{dialect} allowed: {sql}");
            Assert.False(string.IsNullOrWhiteSpace(check.Reason));
            Assert.EndsWith(".", check.Reason);
            Assert.DoesNotContain("\n", check.Reason);
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
    public void Attacks_AreAtLeastThirty() => Assert.True(Attacks.Count >= 30);

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
