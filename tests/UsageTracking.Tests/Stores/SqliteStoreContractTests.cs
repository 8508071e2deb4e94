using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>The store contract on a real SQLite file.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempFolder _folder = new();

    protected override void AddStore(IServiceCollection services, string table) =>
        services.AddSqliteUsageStore(o => { o.ConnectionString = _folder.Database; o.TableName = table; });

    // A file below a file: the folder can never be created.
    protected override void AddUnreachableStore(IServiceCollection services)
    {
        File.WriteAllText(_folder.File("not-a-folder"), "");
        services.AddSqliteUsageStore(o => o.ConnectionString = Path.Combine(_folder.File("not-a-folder"), "usage.db"));
    }

    protected override Task CreateSeedTableAsync(string table)
    {
        // The seed's DDL, in SQLite's dialect (it accepts the Delta types as affinities).
        Tracking.Execute(_folder.Database, $"CREATE TABLE IF NOT EXISTS {table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING)");
        return Task.CompletedTask;
    }

    protected override Task RefuseActionAsync(string table, string action)
    {
        Tracking.Execute(_folder.Database, $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'refused by rule'); END");
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }
}
