using Microsoft.Extensions.DependencyInjection;
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

    protected override void AddStore(IServiceCollection services, string table) =>
        services.AddDatabricksUsageStore(configure: o => { o.Settings = _emulator.Settings(); o.TableName = $"main.usage.{table}"; });

    // Nothing listens on port 1 of this machine.
    protected override void AddUnreachableStore(IServiceCollection services) =>
        services.AddDatabricksUsageStore(configure: o => o.Settings = new DatabricksSettings
        {
            BaseAddress = new Uri("http://127.0.0.1:1/"),
            WarehouseId = DatabricksEmulator.Warehouse,
            AccessToken = DatabricksEmulator.Token,
        });

    protected override Task CreateSeedTableAsync(string table)
    {
        Tracking.Execute(_emulator.Database, $"CREATE TABLE {table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        return Task.CompletedTask;
    }

    // The emulator's tables are SQLite tables: the rule is a trigger there, reported as a Delta constraint violation would be.
    protected override Task RefuseActionAsync(string table, string action)
    {
        Tracking.Execute(_emulator.Database, $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'refused by rule'); END");
        return Task.CompletedTask;
    }
}
