using System.Reflection;
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
        private readonly List<DatabricksUsageStore> _created = [];
        private readonly string _prefix = Environment.GetEnvironmentVariable("DATABRICKS_TABLE_PREFIX") is { Length: > 0 } p ? p + "." : "";

        protected override IUsageStore CreateStore(string table)
        {
            var store = new DatabricksUsageStore(_settings, _prefix + "usage_tracking_live_" + table);
            _created.Add(store);
            return store;
        }

        protected override async Task CreateSeedTableAsync(string table)
        {
            await using var store = new DatabricksUsageStore(_settings, _prefix + "usage_tracking_live_" + table);
            await store.ExecuteForTestsAsync($"CREATE TABLE IF NOT EXISTS {_prefix}usage_tracking_live_{table} (timestamp TIMESTAMP, app_name STRING, user STRING, action STRING) USING DELTA");
        }

        public override async Task DisposeAsync()
        {
            foreach (var store in _created.DistinctBy(s => s.TableName))
            {
                await store.ExecuteForTestsAsync($"DROP TABLE IF EXISTS {store.TableName}");
            }

            await base.DisposeAsync();
        }
    }
}
