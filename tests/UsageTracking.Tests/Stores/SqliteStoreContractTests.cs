using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>The store contract on a real SQLite file.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempFolder _folder = new();

    protected override IUsageStore CreateStore(string table) => new SqliteUsageStore(_folder.Database, table);

    protected override Task CreateSeedTableAsync(string table)
    {
        // The seed's DDL, in SQLite's dialect (it accepts the Delta types as affinities).
        Tracking.Execute(_folder.Database, $"CREATE TABLE IF NOT EXISTS {table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }
}
