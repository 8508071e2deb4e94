using Npgsql;
using UsageTracking.PostgreSql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.PostgreSql;

/// <summary>The store contract on a real PostgreSQL server started by the fixture.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreContractTests(PostgresServer server) : StoreContractTests
{
    protected override IUsageStore CreateStore(string table) => new PostgresUsageStore(server.ConnectionString, table);

    protected override async Task CreateSeedTableAsync(string table)
    {
        // The seed's DDL in PostgreSQL's dialect: "user" must be quoted, STRING is TEXT.
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE TABLE {table} (timestamp TIMESTAMP, app_name TEXT, \"user\" TEXT, action TEXT)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
