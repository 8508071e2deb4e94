using UsageTracking.Cli;
using UsageTracking.Testing;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores.Databricks;

/// <summary>The usage command on Databricks, configured the way the earlier tracker was: DATABRICKS_* variables.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class DatabricksCliTests
{
    [Fact(Timeout = 60_000)]
    public async Task SelftestInitAndStats_WorkWithStoreDatabricks()
    {
        await using var emulator = await DatabricksEmulator.StartAsync();
        using var folder = new TempFolder();
        using var host = new EnvironmentVariable("DATABRICKS_HOST", emulator.BaseAddress.ToString());
        using var path = new EnvironmentVariable("DATABRICKS_HTTP_PATH", $"/sql/1.0/warehouses/{DatabricksEmulator.Warehouse}");
        using var token = new EnvironmentVariable("DATABRICKS_ACCESS_TOKEN", DatabricksEmulator.Token);
        string[] common = ["--store", "databricks", "--table", "main.usage.cli_usage", "--spool-dir", folder.Spool, "--app", "cli-dbx"];

        var output = new StringWriter();
        Assert.Equal(0, await UsageCli.RunAsync(["init", .. common], output, output));
        Assert.Contains("Databricks table main.usage.cli_usage", output.ToString(), StringComparison.Ordinal);

        output = new StringWriter();
        var code = await UsageCli.RunAsync(["selftest", .. common], output, output);
        Assert.True(code == 0, output.ToString());
        Assert.DoesNotContain(DatabricksEmulator.Token, output.ToString(), StringComparison.Ordinal);

        output = new StringWriter();
        Assert.Equal(0, await UsageCli.RunAsync(["stats", "--format", "json", .. common], output, output));
        Assert.Contains("\"total_events\": 2", output.ToString(), StringComparison.Ordinal);
    }
}
