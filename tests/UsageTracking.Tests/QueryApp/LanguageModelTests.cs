using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using UsageTracking.Testing;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The OpenAI-compatible generator against a fake chat-completions endpoint (no model runs here).</summary>
public sealed class LanguageModelTests : IAsyncLifetime
{
    private const string ApiKey = "sk-test-0123456789-secret";
    private FakeChatCompletions _model = null!;
    private QueryAppHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeChatCompletions.StartAsync();
        _host = await QueryAppHost.StartAsync(1_000,
            ("QueryApp:Llm:Model", "gpt-4o-mini"), ("QueryApp:Llm:BaseUrl", _model.BaseUrl.ToString()), ("QueryApp:Llm:ApiKey", ApiKey),
            ("QueryApp:Llm:AllowLlmToSeeData", "true"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    private static async Task<JsonElement> Post(HttpClient client, string path, object body) =>
        JsonDocument.Parse(await (await client.PostAsJsonAsync(path, body)).Content.ReadAsStringAsync()).RootElement;

    private async Task<(string Model, long Input, long Output, decimal Cost, string Properties)> TokenEvent()
    {
        await _host.EventsAsync();
        await using var connection = new SqliteConnection($"Data Source={_host.UsageDatabase};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT model, input_tokens, output_tokens, cost_usd, properties FROM central_app_usage WHERE action = 'token_usage' ORDER BY event_id LIMIT 1";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no token_usage event");
        return (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDecimal(3), reader.GetString(4));
    }

    [Fact]
    public async Task Question_IsAnsweredWithSchemaAwarePrompt_AndTokensAreTrackedWithCost()
    {
        _model.Reply("Here you go:\n```sql\nSELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase\n```", promptTokens: 1_120, completionTokens: 30, cachedTokens: 1_000);
        using var client = _host.Client();
        var reply = await Post(client, "/api/generate", new { source = "demo", question = "Studies per phase?" });

        Assert.Equal("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase", reply.GetProperty("sql").GetString());
        Assert.Equal("gpt-4o-mini", reply.GetProperty("generator").GetString());
        var (request, authorization) = Assert.Single(_model.Requests);
        Assert.Equal($"Bearer {ApiKey}", authorization);
        Assert.Equal("gpt-4o-mini", request["model"]!.GetValue<string>());
        var system = request["messages"]![0]!["content"]!.ToString();
        Assert.Contains("SQLite", system, StringComparison.Ordinal);
        Assert.Contains("enrollment INTEGER", system, StringComparison.Ordinal);
        Assert.Equal("Studies per phase?", request["messages"]!.AsArray()[^1]!["content"]!.ToString());

        // 120 fresh input tokens at $0.15/M, 1,000 cached at $0.075/M, 30 output at $0.60/M (gpt-4o-mini, matched by prefix).
        var (model, input, output, cost, properties) = await TokenEvent();
        Assert.Equal("gpt-4o-mini-2024-07-18", model);
        Assert.Equal(120, input);
        Assert.Equal(30, output);
        Assert.Equal((120 * 0.15m + 1_000 * 0.075m + 30 * 0.60m) / 1_000_000m, cost);
        Assert.Equal(1_000, JsonDocument.Parse(properties).RootElement.GetProperty("cache_read_input_tokens").GetInt64());
    }

    [Fact]
    public async Task SavedExamples_AreSentAsFewShotTurns()
    {
        using var client = _host.Client();
        const string sql = "SELECT COUNT(*) AS n FROM clinical_trials WHERE country = 'Japan'";
        var runId = (await Post(client, "/api/run", new { source = "demo", sql, question = "How many in Japan?" })).GetProperty("runId").GetString();
        await Post(client, "/api/feedback", new { runId, positive = true });
        _model.Reply("SELECT 1");
        await Post(client, "/api/generate", new { source = "demo", question = "And in Spain?" });

        var messages = Assert.Single(_model.Requests).Body["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("How many in Japan?", messages[1]!["content"]!.ToString());
        Assert.Equal(sql, messages[2]!["content"]!.ToString());
    }

    [Fact]
    public async Task GeneratedQueryThatDoesNotCompile_IsRepairedOnce_BeforeItIsShown()
    {
        _model.Reply("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phaze");
        _model.Reply("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase");
        using var client = _host.Client();
        var generated = await Post(client, "/api/generate", new { source = "demo", question = "Studies per phase?" });

        Assert.Equal("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase", generated.GetProperty("sql").GetString());
        Assert.Equal("gpt-4o-mini", generated.GetProperty("generator").GetString());
        var repairRequest = _model.Requests.Last().Body["messages"]!.AsArray();
        Assert.Contains("no such column: phaze", repairRequest[^1]!["content"]!.ToString(), StringComparison.Ordinal);
        var events = (await _host.EventsAsync()).Where(e => e.Action != Actions.TokenUsage).ToList();
        Assert.Equal([Actions.GenerateQuestion, Actions.SqlError, Actions.SqlQuery], events.Select(e => e.Action));
        Assert.Contains("\"repaired\":true", events[^1].Properties, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryStillWrongAfterOneRepair_IsAnLlmError_AndNoSqlIsShown()
    {
        _model.Reply("SELECT AVG(age) AS average_age FROM clinical_trials");
        _model.Reply("SELECT AVG(participant_age) AS average_age FROM clinical_trials");
        using var client = _host.Client();
        var generated = await Post(client, "/api/generate", new { source = "demo", question = "What is the average age of participants?" });

        Assert.Equal(JsonValueKind.Null, generated.GetProperty("sql").ValueKind);
        Assert.True(generated.GetProperty("failed").GetBoolean());
        var message = generated.GetProperty("message").GetString()!;
        Assert.Equal("The SQL from gpt-4o-mini would not run even after one repair, so it is not shown: the database says: no such column: participant_age.", message);
        Assert.Equal(2, _model.Requests.Count);
        var events = await _host.EventsAsync();
        Assert.Equal(message, Assert.Single(events, e => e.Action == Actions.LlmError).Detail);
        Assert.DoesNotContain(events, e => e.Action == Actions.SqlQuery);
    }

    [Fact]
    public async Task QueryTheGuardRefuses_IsRepaired_AndTheWriteIsNeverShown()
    {
        _model.Reply("SELECT COUNT(*) AS withdrawn FROM clinical_trials WHERE status = 'Withdrawn'; DROP TABLE clinical_trials");
        _model.Reply("SELECT COUNT(*) AS withdrawn FROM clinical_trials WHERE status = 'Withdrawn'");
        using var client = _host.Client();
        var generated = await Post(client, "/api/generate", new { source = "demo", question = "How many withdrawn studies?" });

        Assert.Equal("SELECT COUNT(*) AS withdrawn FROM clinical_trials WHERE status = 'Withdrawn'", generated.GetProperty("sql").GetString());
        Assert.Contains("DROP TABLE", Assert.Single(await _host.EventsAsync(), e => e.Action == Actions.SqlError).Properties, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryFailingOnlyWhenItRuns_IsRepairedOnce_AndTheRepairRuns()
    {
        // It compiles (so it is shown) but SQLite fails it on the first row: a title is not JSON.
        _model.Reply("SELECT json_extract(title, '$.x') AS x FROM clinical_trials LIMIT 5");
        _model.Reply("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase");
        using var client = _host.Client();
        var generated = await Post(client, "/api/generate", new { source = "demo", question = "Studies per phase?" });
        var run = await Post(client, "/api/run", new { source = "demo", sql = generated.GetProperty("sql").GetString(), question = "Studies per phase?", generated = true });

        Assert.Equal("SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase", run.GetProperty("repairedSql").GetString());
        Assert.Equal(6, run.GetProperty("rows").GetArrayLength());
        Assert.Contains("malformed JSON", _model.Requests.Last().Body["messages"]!.AsArray()[^1]!["content"]!.ToString(), StringComparison.Ordinal);
        var actions = (await _host.EventsAsync()).Select(e => e.Action).Where(a => a != Actions.TokenUsage).ToList();
        Assert.Equal([Actions.GenerateQuestion, Actions.SqlQuery, Actions.DatabaseError, Actions.SqlQuery, Actions.ExecuteSql], actions);
    }

    [Fact]
    public async Task FewShotTurns_AreTheSavedExamplesMostLikeTheQuestion_TheClosestLast()
    {
        using var client = _host.Client();
        string[] questions =
        [
            "How many studies in Japan?", "Which sponsors have the most studies?", "Average enrollment by phase",
            "Studies started per year", "List terminated studies in Germany", "How many Pfizer studies are recruiting?",
            "Median enrollment of completed studies", "Studies by country", "Which conditions have the most studies?",
        ];
        foreach (var question in questions)
        {
            var runId = (await Post(client, "/api/run", new { source = "demo", sql = "SELECT COUNT(*) AS n FROM clinical_trials", question })).GetProperty("runId").GetString();
            await Post(client, "/api/feedback", new { runId, positive = true });
        }

        _model.Reply("SELECT sponsor, AVG(enrollment) AS average_enrollment FROM clinical_trials GROUP BY sponsor");
        await Post(client, "/api/generate", new { source = "demo", question = "Average enrollment per sponsor" });

        var messages = Assert.Single(_model.Requests).Body["messages"]!.AsArray();
        var shots = messages.Where(m => m!["role"]!.GetValue<string>() == "user").Select(m => m!["content"]!.ToString()).SkipLast(1).ToList();
        Assert.Equal(6, shots.Count);
        Assert.Equal("Average enrollment by phase", shots[^1]);
        Assert.Contains("Which sponsors have the most studies?", shots);
        Assert.Contains("Median enrollment of completed studies", shots);
    }

    [Fact]
    public async Task RefusedKey_IsAnLlmError_InOneSentence_AndTheKeyIsNeverStored()
    {
        _model.Fail(401);
        using var client = _host.Client();
        var reply = await Post(client, "/api/generate", new { source = "demo", question = "Studies per phase?" });

        Assert.Equal("The language model refused the API key (QueryApp:Llm:ApiKey).", reply.GetProperty("message").GetString());
        Assert.True(reply.GetProperty("failed").GetBoolean());
        var events = await _host.EventsAsync();
        var error = Assert.Single(events, e => e.Action == Actions.LlmError);
        Assert.Equal(reply.GetProperty("message").GetString(), error.Detail);
        Assert.DoesNotContain(events, e => $"{e.Detail}{e.Properties}".Contains(ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Summary_ComesFromTheModel_WhenAllowedToSeeData()
    {
        using var client = _host.Client();
        var runId = (await Post(client, "/api/run", new { source = "demo", sql = "SELECT phase, COUNT(*) AS n FROM clinical_trials GROUP BY phase", question = "Per phase?" })).GetProperty("runId").GetString();
        _model.Reply("Phase 2 leads with the most studies.");
        var summary = await Post(client, "/api/summary", new { runId });

        Assert.Equal(["Phase 2 leads with the most studies."], summary.GetProperty("lines").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("gpt-4o-mini", summary.GetProperty("source").GetString());
        Assert.Contains("Phase 2", Assert.Single(_model.Requests).Body["messages"]![1]!["content"]!.ToString(), StringComparison.Ordinal);
    }
}
