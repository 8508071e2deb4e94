using System.Text.Json;
using UsageTracking.Cli;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Cli;

/// <summary>The <c>usage</c> command, run in-process on real SQLite files; exit codes 0 ok, 1 failure, 2 bad usage.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await UsageCli.RunAsync([.. args, "--connection", _folder.Database, "--spool-dir", _folder.Spool, "--app", "cli-test"], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Status_SaysTheStoreTheSpoolAndToday_AsTextAndJson()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await Run("track", "--user", $"u{i}@example.com", "--action", Actions.ExecuteSql)).Code);
        }

        Assert.Equal(0, (await Run("error", "--user", "u0@example.com", "--type", Actions.SqlError, "--message", "no such column")).Code);
        var (code, text, error) = await Run("status");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("Reachable", text, StringComparison.Ordinal);
        Assert.Contains("4 of this app", text, StringComparison.Ordinal);
        Assert.Contains("4 events, 3 users, 1 errors (25.0 %)", text, StringComparison.Ordinal);

        var (jsonCode, json, _) = await Run("status", "--json");
        Assert.Equal(0, jsonCode);
        var status = JsonDocument.Parse(json).RootElement;
        Assert.Equal("cli-test", status.GetProperty("app").GetString());
        Assert.True(status.GetProperty("store").GetProperty("reachable").GetBoolean());
        Assert.Equal(4, status.GetProperty("store").GetProperty("app_rows").GetInt64());
        Assert.Equal(0, status.GetProperty("spool").GetProperty("events").GetInt64());
        Assert.Equal(4, status.GetProperty("today").GetProperty("events").GetInt64());
        Assert.Equal(0.25, status.GetProperty("today").GetProperty("error_rate").GetDouble());
    }

    [Fact]
    public async Task Status_OnAnUnreachableStore_ExitsOne_AndSaysWhyInOneSentence()
    {
        var output = new StringWriter();
        var code = await UsageCli.RunAsync(["status", "--json", "--connection", "/proc/no-such-dir/usage.db", "--spool-dir", _folder.Spool], output, new StringWriter());
        Assert.Equal(1, code);
        var store = JsonDocument.Parse(output.ToString()).RootElement.GetProperty("store");
        Assert.False(store.GetProperty("reachable").GetBoolean());
        Assert.Contains("unreachable", store.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Selftest_OnFreshFile_PassesEveryCheck()
    {
        var (code, output, error) = await Run("selftest");
        Assert.Equal(0, code);
        Assert.Equal(5, output.Split('\n').Count(l => l.StartsWith("PASS", StringComparison.Ordinal)));
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("selftest passed", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Selftest_OnUnreachableStore_FailsWithOneLinePerCheck()
    {
        var output = new StringWriter();
        var code = await UsageCli.RunAsync(["selftest", "--connection", "/proc/no-such-dir/usage.db", "--spool-dir", _folder.Spool], output, new StringWriter());
        Assert.Equal(1, code);
        Assert.Contains("FAIL  store reachable", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Track_OnUnreachableStore_ExitsOneWithOneSentenceOnStderr()
    {
        var error = new StringWriter();
        var code = await UsageCli.RunAsync(["track", "--user", "a@example.com", "--action", "x", "--connection", "/proc/no-such-dir/usage.db", "--spool-dir", _folder.Spool], new StringWriter(), error);
        Assert.Equal(1, code);
        var lines = error.ToString().Trim().Split('\n');
        var line = Assert.Single(lines);
        Assert.Contains("unreachable", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("track", "--user", "a@example.com")]
    [InlineData("stats", "--days", "zero")]
    [InlineData("stats", "--format", "xml")]
    [InlineData("nonsense")]
    public async Task BadArguments_ExitTwoWithOneSentence(params string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task TrackErrorThenStats_ReportsTheRowsAsJson()
    {
        Assert.Equal(0, (await Run("track", "--user", "ann@example.com", "--action", "execute_sql")).Code);
        Assert.Equal(0, (await Run("track", "--user", "bob@example.com", "--action", "execute_sql", "--detail", "from cli")).Code);
        Assert.Equal(0, (await Run("error", "--user", "ann@example.com", "--type", "sql_error", "--message", "no such table")).Code);

        var (code, output, _) = await Run("stats", "--format", "json", "--days", "1");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("total_events").GetInt64());
        Assert.Equal(2, root.GetProperty("distinct_users").GetInt64());
        Assert.Equal(1, root.GetProperty("error_count").GetInt64());
        Assert.Equal("execute_sql", root.GetProperty("by_action")[0].GetProperty("action").GetString());
        Assert.Equal(2, root.GetProperty("by_action")[0].GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task GenerateThenExport_StreamsEveryRowToCsvAndJson()
    {
        var generated = await Run("generate", "--events", "3000", "--users", "20", "--days", "7");
        Assert.Equal(0, generated.Code);
        Assert.Equal(3000, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE app_name = 'cli-test'"));
        Assert.True(Tracking.Scalar(_folder, "SELECT COUNT(DISTINCT user) FROM central_app_usage") is > 1 and <= 20);
        Assert.True(Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = 'token_usage' AND input_tokens > 0 AND cost_usd > 0") > 0);

        var csv = _folder.File("out.csv");
        Assert.Equal(0, (await Run("export", "--days", "8", "--format", "csv", "--output", csv)).Code);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("timestamp,app_name,user,action,event_id,session_id,detail,duration_ms,model,input_tokens,output_tokens,cost_usd,properties,is_error", lines[0]);
        Assert.Equal(3001, lines.Length);

        var jsonFile = _folder.File("out.json");
        Assert.Equal(0, (await Run("export", "--days", "8", "--format", "json", "--output", jsonFile)).Code);
        using var json = JsonDocument.Parse(File.ReadAllText(jsonFile));
        Assert.Equal(3000, json.RootElement.GetArrayLength());
        Assert.Equal(JsonValueKind.Object, json.RootElement.EnumerateArray().First(e => e.GetProperty("properties").ValueKind != JsonValueKind.Null).GetProperty("properties").ValueKind);
    }

    [Fact]
    public async Task Cleanup_DeletesOnlyRowsOlderThanTheCutoff()
    {
        Assert.Equal(0, (await Run("generate", "--events", "2000", "--users", "5", "--days", "20")).Code);
        var older = Tracking.Scalar(_folder, $"SELECT COUNT(*) FROM central_app_usage WHERE timestamp < '{DateTime.UtcNow.AddDays(-10):yyyy-MM-dd HH:mm:ss}'");
        Assert.True(older > 0);

        var (code, output, _) = await Run("cleanup", "--older-than-days", "10");

        Assert.Equal(0, code);
        Assert.Contains($"Deleted {older:N0} rows", output, StringComparison.Ordinal);
        Assert.Equal(2000 - older, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task SpoolStatusAndReplay_ShowAndDrainWhatAnOutageLeft()
    {
        var down = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using (var tracker = Tracking.Create(_folder, o => { o.RetryBudget = TimeSpan.Zero; o.AppName = "cli-test"; }, down))
        {
            for (var i = 0; i < 250; i++)
            {
                tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
            }

            await tracker.FlushAsync();
        }

        var status = await Run("spool", "status");
        Assert.Equal(0, status.Code);
        Assert.Contains("250 events", status.Out, StringComparison.Ordinal);

        var replay = await Run("spool", "replay");
        Assert.Equal(0, replay.Code);
        Assert.Contains("Replayed 250 events (250 written, 0 already in the store); 0 spool files remain.", replay.Out, StringComparison.Ordinal);
        Assert.Equal(250, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task Forget_NeedsYes_ThenErasesTheUser()
    {
        Assert.Equal(0, (await Run("track", "--user", "ann@example.com", "--action", "execute_sql")).Code);
        Assert.Equal(0, (await Run("track", "--user", "bob@example.com", "--action", "execute_sql")).Code);

        var refused = await Run("forget", "--user", "ann@example.com");
        Assert.Equal(2, refused.Code);
        Assert.Contains("--yes", refused.Err, StringComparison.Ordinal);
        Assert.Equal(2, Tracking.Rows(_folder));

        var (code, output, _) = await Run("forget", "--user", "ann@example.com", "--yes");
        Assert.Equal(0, code);
        Assert.Contains("Erased 1 rows", output, StringComparison.Ordinal);
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE user = 'ann@example.com'"));
        Assert.Equal(1, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task ExportWithFlattenedProperties_HasOneColumnPerKey()
    {
        await using (var tracker = Tracking.Create(_folder, o => o.AppName = "cli-test"))
        {
            tracker.TrackNewConversation("ann@example.com", "c1", 12);
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql, "c1", 5, new Dictionary<string, object?> { ["sql"] = "SELECT 1", ["meta"] = new Dictionary<string, object?> { ["rows"] = 3 } });
            await tracker.FlushAsync();
        }

        var csv = _folder.File("flat.csv");
        Assert.Equal(0, (await Run("export", "--days", "1", "--format", "csv", "--flatten-properties", "--output", csv)).Code);
        var lines = File.ReadAllLines(csv);
        Assert.EndsWith(",cost_usd,is_error,properties.message_length,properties.meta.rows,properties.sql", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",12,,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",,3,SELECT 1", lines[2], StringComparison.Ordinal);

        var json = _folder.File("flat.json");
        Assert.Equal(0, (await Run("export", "--days", "1", "--format", "json", "--flatten-properties", "--output", json)).Code);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("3", document.RootElement[1].GetProperty("properties.meta.rows").GetString());
    }

    [Fact]
    public async Task RebuildRollups_CountsRowsOtherToolsWrote()
    {
        Assert.Equal(0, (await Run("track", "--user", "ann@example.com", "--action", "execute_sql")).Code);
        Tracking.Execute(_folder.Database, "INSERT INTO central_app_usage (\"timestamp\", app_name, \"user\", action) VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'), 'cli-test', 'sql@tool', 'execute_sql')");
        var (code, output, _) = await Run("rebuild-rollups");
        Assert.Equal(0, code);
        Assert.StartsWith("Rebuilt the rollups of central_app_usage", output, StringComparison.Ordinal);
        var stats = await Run("stats", "--format", "json", "--days", "1");
        Assert.Contains("\"total_events\": 2", stats.Out, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Generate_ExitCodeSaysWhatIsLeftAtTheEnd_NotWhatHappenedOnTheWay()
    {
        Assert.Equal(0, (await Run("init")).Code);
        var connection = $"Data Source={_folder.Database};Default Timeout=1";
        var output = new StringWriter();
        var error = new StringWriter();

        // Another writer holds the database longer than the command retries: the events wait in the spool, and it says so.
        using (var locker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_folder.Database};Pooling=False"))
        {
            locker.Open();
            using var begin = locker.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
            Assert.Equal(1, await UsageCli.RunAsync(["generate", "--events", "1000", "--connection", connection, "--spool-dir", _folder.Spool, "--app", "cli-test"], output, error));
            begin.CommandText = "ROLLBACK";
            begin.ExecuteNonQuery();
        }

        Assert.Matches(@"^1,000 events wait in the spool at ", error.ToString());

        // The next run writes its own events and the waiting ones: nothing is left, so it succeeds.
        var (code, next, nextError) = await Run("generate", "--events", "500");
        Assert.Equal(0, code);
        Assert.Equal("", nextError);
        Assert.Contains("1,500 written (of them 1,000 replayed from the spool)", next, StringComparison.Ordinal);
        Assert.Equal(1_500, Tracking.Rows(_folder));
    }
}
