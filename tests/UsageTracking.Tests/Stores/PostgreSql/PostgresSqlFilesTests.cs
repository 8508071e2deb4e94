using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>The files in sql/postgres stay true to the store: same schema, and every analysis runs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSqlFilesTests(PostgresServer server) : IAsyncLifetime
{
    private readonly string _schema = "files_" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync() => await ExecuteAsync($"CREATE SCHEMA {_schema}_file; CREATE SCHEMA {_schema}_store; CREATE SCHEMA {_schema}_seed");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task CreateFile_DefinesTheSameTableAndIndexesAsTheStore()
    {
        await ExecuteAsync(await FileAsync("001_create_central_app_usage.sql"), $"{_schema}_file");
        await using (var store = new PostgresUsageStore(server.ConnectionString, $"{_schema}_store.central_app_usage"))
        {
            await store.EnsureSchemaAsync(true, default);
        }

        Assert.Equal(await DescribeAsync($"{_schema}_store"), await DescribeAsync($"{_schema}_file"));
    }

    [Fact]
    public async Task SeedTablePlusUpgradeFile_IsWhatTheStoreUpgradesTo()
    {
        await ExecuteAsync(await FileAsync("000_seed_table.sql") + await FileAsync("002_upgrade_seed_table.sql"), $"{_schema}_file");
        await ExecuteAsync(await FileAsync("000_seed_table.sql"), $"{_schema}_seed");
        await using (var store = new PostgresUsageStore(server.ConnectionString, $"{_schema}_seed.central_app_usage"))
        {
            Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(true, default));
        }

        Assert.Equal(await DescribeAsync($"{_schema}_seed"), await DescribeAsync($"{_schema}_file"));
    }

    [Fact]
    public async Task EveryAnalysis_RunsOnGeneratedData()
    {
        var output = new StringWriter();
        using var folder = new TempFolder();
        Assert.Equal(0, await UsageTracking.Cli.UsageCli.RunAsync(
            ["generate", "--events", "3000", "--users", "20", "--days", "10", "--store", "postgres", "--connection", server.ConnectionString,
             "--table", $"{_schema}_store.central_app_usage", "--spool-dir", folder.Spool, "--app", "analyses"], output, output));

        // The error analysis looks at the last day only, which synthetic traffic can leave without errors (a quiet
        // weekend just after midnight): one error tracked now makes sure it has something to find.
        Assert.Equal(0, await UsageTracking.Cli.UsageCli.RunAsync(
            ["error", "--user", "ann@example.com", "--type", "sql_error", "--message", "no such column: x", "--store", "postgres", "--connection", server.ConnectionString,
             "--table", $"{_schema}_store.central_app_usage", "--spool-dir", folder.Spool, "--app", "analyses"], output, output));

        // The synthetic traffic is the query app's; a few chatbot conversations give the chat analyses rows too.
        await using (var chat = new UsageTracking.PostgreSql.PostgresUsageStore(server.ConnectionString, $"{_schema}_store.central_app_usage"))
        {
            await chat.WriteBatchAsync(ChatSample.Events("analyses"), default);
        }

        foreach (var file in Directory.GetFiles(Repository.Path("sql", "postgres", "analyses"), "*.sql"))
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            await using (var path = new NpgsqlCommand($"SET search_path TO {_schema}_store", connection))
            {
                await path.ExecuteNonQueryAsync();
            }

            // psql's :'app_name' variable becomes a bound parameter here.
            await using var command = new NpgsqlCommand((await File.ReadAllTextAsync(file)).Replace(":'app_name'", "$1", StringComparison.Ordinal), connection);
            command.Parameters.AddWithValue("analyses");
            var rows = 0;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows++;
            }

            Assert.True(rows > 0, $"{Path.GetFileName(file)} returned no rows");
        }
    }

    private static Task<string> FileAsync(string name) => File.ReadAllTextAsync(Repository.Path("sql", "postgres", name));

    private async Task ExecuteAsync(string sql, string? searchPath = null)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand((searchPath is null ? "" : $"SET search_path TO {searchPath};") + sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string> DescribeAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT 'column ' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'central_app_usage'
            UNION ALL
            SELECT 'index ' || indexname || ' ' || regexp_replace(indexdef, ' ON [^ ]+ ', ' ON t ') FROM pg_indexes WHERE schemaname = $1 AND tablename = 'central_app_usage'
            ORDER BY 1
            """, connection);
        command.Parameters.AddWithValue(schema);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }
}
