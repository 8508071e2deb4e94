using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>The store contract on a real PostgreSQL server started by the fixture.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreContractTests(PostgresServer server) : StoreContractTests
{
    protected override void AddStore(IServiceCollection services, string table) =>
        services.AddPostgresUsageStore(configure: o => { o.ConnectionString = server.ConnectionString; o.TableName = table; });

    // Nothing listens on port 1 of this machine.
    protected override void AddUnreachableStore(IServiceCollection services) =>
        services.AddPostgresUsageStore(configure: o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=3");

    protected override Task CreateSeedTableAsync(string table) =>
        // The seed's DDL in PostgreSQL's dialect: "user" must be quoted, STRING is TEXT.
        ExecuteAsync($"CREATE TABLE {table} (timestamp TIMESTAMP, app_name TEXT, \"user\" TEXT, action TEXT)");

    protected override Task RefuseActionAsync(string table, string action) =>
        ExecuteAsync($"ALTER TABLE {table} ADD CONSTRAINT refuse_{table} CHECK (action <> '{action}')");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
