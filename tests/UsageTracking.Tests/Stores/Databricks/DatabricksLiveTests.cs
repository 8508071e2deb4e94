using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Databricks;

namespace UsageTracking.Tests.Stores.Databricks;

/// <summary>Runs only when a real warehouse is configured; otherwise skipped, saying what to set.</summary>
public sealed class LiveDatabricksFactAttribute : FactAttribute
{
    public LiveDatabricksFactAttribute()
    {
        var host = Environment.GetEnvironmentVariable("DATABRICKS_SERVER_HOSTNAME") ?? Environment.GetEnvironmentVariable("DATABRICKS_HOST");
        var credentials = Environment.GetEnvironmentVariable("DATABRICKS_ACCESS_TOKEN") ?? Environment.GetEnvironmentVariable("DATABRICKS_CLIENT_SECRET");
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DATABRICKS_HTTP_PATH")) || string.IsNullOrWhiteSpace(credentials))
        {
            Skip = "No Databricks workspace: set DATABRICKS_SERVER_HOSTNAME, DATABRICKS_HTTP_PATH and DATABRICKS_ACCESS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET) to run the store contract against a real warehouse.";
        }
    }
}

/// <summary>
/// The store contract against a real SQL warehouse. xunit 2 cannot skip an inherited suite at run time, so one test
/// runs every contract test of <see cref="StoreContractTests"/> in turn and reports the ones that fail.
/// Tables are created as <c>usage_tracking_live_&lt;id&gt;</c> (in DATABRICKS_TABLE_PREFIX's catalog.schema when set) and dropped after.
/// </summary>
public sealed class DatabricksLiveTests
{
    [LiveDatabricksFact]
    public async Task StoreContract_PassesOnALiveWarehouse()
    {
        var failures = new List<string>();
        foreach (var method in typeof(StoreContractTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
                     .Where(m => m.GetCustomAttributes<FactAttribute>().Any()))
        {
            var cases = method.GetCustomAttributes<InlineDataAttribute>().Select(d => d.GetData(method).Single()).DefaultIfEmpty([]).ToList();
            foreach (var arguments in cases)
            {
                var suite = new LiveContract();
                await suite.InitializeAsync();
                try
                {
                    await (Task)method.Invoke(suite, arguments)!;
                }
                catch (Exception ex)
                {
                    failures.Add($"{method.Name}: {(ex is TargetInvocationException { InnerException: { } inner } ? inner.Message : ex.Message)}");
                }
                finally
                {
                    await suite.DisposeAsync();
                }
            }
        }

        Assert.Empty(failures);
    }

    private sealed class LiveContract : StoreContractTests
    {
        private readonly DatabricksSettings _settings = DatabricksSettings.Read(null);
        private readonly HashSet<string> _tables = [];
        private readonly string _prefix = Environment.GetEnvironmentVariable("DATABRICKS_TABLE_PREFIX") is { Length: > 0 } p ? p + "." : "";

        private string Name(string table) => _prefix + "usage_tracking_live_" + table;

        protected override void AddStore(IServiceCollection services, string table)
        {
            _tables.Add(Name(table));
            services.AddDatabricksUsageStore(configure: o => { o.Settings = _settings; o.TableName = Name(table); });
        }

        protected override void AddUnreachableStore(IServiceCollection services) =>
            services.AddDatabricksUsageStore(configure: o => o.Settings = new DatabricksSettings
            {
                BaseAddress = new Uri("https://127.0.0.1:1/"),
                WarehouseId = _settings.WarehouseId,
                AccessToken = "not-a-token",
            });

        protected override Task CreateSeedTableAsync(string table) =>
            ExecuteAsync(table, $"CREATE TABLE IF NOT EXISTS {Name(table)} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING) USING DELTA");

        protected override Task RefuseActionAsync(string table, string action) =>
            ExecuteAsync(table, $"ALTER TABLE {Name(table)} ADD CONSTRAINT refuse_action CHECK (action <> '{action}')");

        private async Task ExecuteAsync(string table, string sql)
        {
            _tables.Add(Name(table));
            await using var store = new DatabricksUsageStore(_settings, Name(table));
            await store.ExecuteForTestsAsync(sql);
        }

        public override async Task DisposeAsync()
        {
            foreach (var table in _tables)
            {
                await using var store = new DatabricksUsageStore(_settings, table);
                await store.ExecuteForTestsAsync($"DROP TABLE IF EXISTS {table}");
            }

            await base.DisposeAsync();
        }
    }
}
