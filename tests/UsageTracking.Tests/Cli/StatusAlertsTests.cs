using System.Text.Json;
using UsageTracking.Cli;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Cli;

/// <summary><c>usage status</c> evaluates the configured alert rules (here from the environment, as an operator sets them).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class StatusAlertsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(int Code, string Out)> Run(params string[] args)
    {
        var output = new StringWriter();
        var code = await UsageCli.RunAsync([.. args, "--connection", _folder.Database, "--spool-dir", _folder.Spool, "--app", "cli-test"], output, new StringWriter());
        return (code, output.ToString());
    }

    [Fact]
    public async Task Status_ListsTheRulesOverTheirLevelsNow_WithSeverity_AsTextAndJson()
    {
        using var name = new EnvironmentVariable("Alerts__Rules__0__Name", "Errors");
        using var kind = new EnvironmentVariable("Alerts__Rules__0__Kind", "ErrorRate");
        using var critical = new EnvironmentVariable("Alerts__Rules__0__Threshold", "0.5");
        using var warning = new EnvironmentVariable("Alerts__Rules__0__Warning", "0.2");
        using var minimum = new EnvironmentVariable("Alerts__Rules__0__MinEvents", "1");
        Assert.Equal(0, (await Run("track", "--user", "a@example.com", "--action", Actions.ExecuteSql)).Code);
        Assert.Equal(0, (await Run("track", "--user", "a@example.com", "--action", Actions.ExecuteSql)).Code);
        Assert.Equal(0, (await Run("error", "--user", "a@example.com", "--type", Actions.SqlError, "--message", "no such column")).Code);

        var (code, text) = await Run("status");
        Assert.Equal(0, code);
        Assert.Contains("Alerts firing", text, StringComparison.Ordinal);
        // The console is 80 columns wide here: the sentence wraps inside its cell.
        var flat = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
        Assert.True(flat.Contains("Alerts firing [WARNING] Errors: error rate 33.3 % over the last 1 h (warning level 20.0 %), all apps.", StringComparison.Ordinal), text);

        var alert = Assert.Single(JsonDocument.Parse((await Run("status", "--json")).Out).RootElement.GetProperty("alerts").EnumerateArray());
        Assert.Equal("Errors", alert.GetProperty("rule").GetString());
        Assert.Equal("warning", alert.GetProperty("severity").GetString());
        Assert.Equal(1 / 3.0, alert.GetProperty("value").GetDouble(), 9);
        Assert.Equal(0.2, alert.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public async Task Status_WithNoRules_SaysNoneFiring()
    {
        Assert.Equal(0, (await Run("track", "--user", "a@example.com", "--action", Actions.ExecuteSql)).Code);
        var (code, text) = await Run("status");
        Assert.Equal(0, code);
        Assert.Matches("Alerts firing +none", text);
        Assert.Empty(JsonDocument.Parse((await Run("status", "--json")).Out).RootElement.GetProperty("alerts").EnumerateArray());
    }
}
