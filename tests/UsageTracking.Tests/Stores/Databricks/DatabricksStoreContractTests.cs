using UsageTracking.Databricks;
using UsageTracking.Testing;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.Databricks;

/// <summary>The store contract on Databricks, through the Statement Execution API emulator (a fake; see its docs).</summary>
public sealed class DatabricksStoreContractTests : StoreContractTests
{
    private DatabricksEmulator _emulator = null!;

    public override async Task InitializeAsync()
    {
        _emulator = await DatabricksEmulator.StartAsync();
        _emulator.ChunkSize = 3; // every multi-row result crosses chunks
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    protected override IUsageStore CreateStore(string table) => new DatabricksUsageStore(_emulator.Settings(), $"main.usage.{table}");

    protected override Task CreateSeedTableAsync(string table)
    {
        Tracking.Execute(_emulator.Database, $"CREATE TABLE {table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        return Task.CompletedTask;
    }
}
