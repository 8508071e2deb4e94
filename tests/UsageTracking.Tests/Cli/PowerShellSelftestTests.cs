using System.Diagnostics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Cli;

/// <summary>
/// The brief's selftest script, test_usage_tracking.ps1, under real PowerShell 7 (installed by scripts/install-test-deps.sh
/// as a .NET tool into .tools/), against a SQLite file and the PostgreSQL fixture.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PowerShellSelftestTests(PostgresServer server) : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task Script_PassesEveryCheck_OnASqliteFile()
    {
        var (code, output) = await RunAsync("--connection", _folder.Database, "--spool-dir", _folder.Spool);
        Assert.True(code == 0, output);
        Assert.Equal(5, output.Split('\n').Count(l => l.StartsWith("PASS", StringComparison.Ordinal)));
        Assert.Contains("selftest passed", output, StringComparison.Ordinal);
        Assert.True(Tracking.Scalar(_folder.Database, "SELECT COUNT(*) FROM central_app_usage") > 0);
    }

    [Fact]
    public async Task Script_PassesEveryCheck_OnPostgreSql()
    {
        var table = $"ps_selftest_{Guid.NewGuid():N}"[..24];
        var (code, output) = await RunAsync("--store", "postgres", "--connection", server.ConnectionString, "--table", table, "--spool-dir", _folder.Spool);
        Assert.True(code == 0, output);
        Assert.Contains("selftest passed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_FailsWithExitCodeOne_AndAFailLine_WhenTheStoreIsUnreachable()
    {
        var (code, output) = await RunAsync("--connection", "/proc/no-such-dir/usage.db", "--spool-dir", _folder.Spool);
        Assert.Equal(1, code);
        Assert.Contains("FAIL  store reachable", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var pwsh = Repository.Path(".tools", "pwsh");
        Assert.True(File.Exists(pwsh), $"PowerShell 7 is not at {pwsh}; scripts/install-test-deps.sh installs it.");
        var info = new ProcessStartInfo(pwsh) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        foreach (var argument in (string[])["-NoProfile", "-NonInteractive", "-File", Repository.Path("test_usage_tracking.ps1"), "-NoBuild", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public void Dispose() => _folder.Dispose();
}
