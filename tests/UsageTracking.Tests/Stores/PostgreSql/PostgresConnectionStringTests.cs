using UsageTracking.PostgreSql;

namespace UsageTracking.Tests.Stores.PostgreSql;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void Uri_IsParsedIntoHostPortUserPasswordDatabaseAndOptions()
    {
        var builder = PostgresConnectionString.Resolve("postgresql://ann%40corp:p%40ss%3Aword@db.internal:6543/usage%20db?sslmode=require&Timeout=7", null);
        Assert.Equal(("db.internal", 6543, "ann@corp", "p@ss:word", "usage db"), (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database));
        Assert.Equal(Npgsql.SslMode.Require, builder.SslMode);
        Assert.Equal(7, builder.Timeout);
    }

    [Fact]
    public void ConfiguredValue_WinsOverDatabaseUrl()
    {
        var builder = PostgresConnectionString.Resolve("Host=configured;Database=a", "postgres://env-host/b");
        Assert.Equal("configured", builder.Host);
        Assert.Equal("env-host", PostgresConnectionString.Resolve(null, "postgres://env-host/b").Host);
    }

    [Fact]
    public void Missing_FailsNamingEverySettingThatCouldHoldIt()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Resolve(null, " "));
        Assert.Contains("UsageTracking:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("UsageTracking:Postgres:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("DATABASE_URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_FailsWithoutEchoingTheSecret()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Resolve("postgresql://ann:s3cret@host:notaport/db", null));
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }
}
