using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The app's endpoints over HTTP, in process on a real Kestrel, with the usage table read back from SQLite.</summary>
public sealed partial class FlowEndpointsTests
{
    private const string DefaultUser = "query-app-user@localhost";

    private static async Task<JsonElement> Post(HttpClient client, string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task WholeFlow_TracksOneEventPerStep_WithUserSessionAndDuration()
    {
        await using var host = await QueryAppHost.StartAsync();
        using var client = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        var questions = JsonDocument.Parse(await client.GetStringAsync("/api/questions?source=demo")).RootElement.GetProperty("questions");
        Assert.Equal(3, questions.GetArrayLength());

        // A program picking one of the suggestions says so: that is the step (showing them is not).
        var generated = await Post(client, "/api/generate", new { source = "demo", question = "How many studies are there by phase?", suggested = true });
        var sql = generated.GetProperty("sql").GetString()!;
        Assert.Equal("offline", generated.GetProperty("generator").GetString());
        var withColumns = (await Post(client, "/api/columns", new { source = "demo", sql, columns = new[] { "status" } })).GetProperty("sql").GetString()!;
        Assert.Contains("GROUP BY phase, status", withColumns, StringComparison.Ordinal);
        var edited = withColumns.Replace("ORDER BY phase", "ORDER BY studies DESC", StringComparison.Ordinal);
        Assert.True((await Post(client, "/api/validate", new { source = "demo", sql = edited })).GetProperty("valid").GetBoolean());
        var run = await Post(client, "/api/run", new { source = "demo", sql = edited, question = "How many studies are there by phase?", generated = false });
        var runId = run.GetProperty("runId").GetString()!;
        Assert.Equal(["phase", "studies", "status"], run.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("bar", (await Post(client, "/api/chart", new { runId })).GetProperty("chart").GetProperty("type").GetString());
        Assert.Contains("rows", (await Post(client, "/api/summary", new { runId })).GetProperty("lines")[0].GetString(), StringComparison.Ordinal);
        var xlsx = await client.GetAsync($"/api/download?runId={runId}&format=xlsx");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType!.MediaType);
        var csv = await client.GetStringAsync($"/api/download?runId={runId}&format=csv");
        Assert.Equal(run.GetProperty("rows").GetArrayLength() + 1, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True((await Post(client, "/api/feedback", new { runId, positive = true })).GetProperty("savedExample").GetBoolean());

        var events = await host.EventsAsync();
        Assert.Equal(
            [Actions.AppStart, Actions.ViewRandomQuestions, Actions.GenerateQuestion, Actions.SqlQuery, Actions.SelectColumns, Actions.EditSql,
             Actions.ExecuteSql, Actions.GenerateChart, Actions.GenerateSummary, Actions.DownloadResults, Actions.DownloadResults, Actions.ThumbsUp],
            events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(DefaultUser, e.User));
        var session = Assert.Single(events.Select(e => e.Session).Distinct());
        Assert.Matches("^[0-9a-f]{32}$", session);
        Assert.All(events.Skip(1), e => Assert.True(e.DurationMs is >= 0, $"{e.Action} has no duration"));

        var execute = JsonDocument.Parse(events.Single(e => e.Action == Actions.ExecuteSql).Properties!).RootElement;
        Assert.Equal(edited.TrimEnd(';'), execute.GetProperty("sql").GetString());
        Assert.Equal(["source", "run_id", "sql", "rows", "truncated", "truncated_by", "repaired"], execute.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task ThumbsUp_TeachesTheOfflineGeneratorThatAnswer()
    {
        await using var host = await QueryAppHost.StartAsync();
        using var client = host.Client();
        const string question = "Which studies run in France, newest first?";
        const string sql = "SELECT nct_id, start_date FROM clinical_trials WHERE country = 'France' ORDER BY start_date DESC LIMIT 5";
        var runId = (await Post(client, "/api/run", new { source = "demo", sql, question, generated = false })).GetProperty("runId").GetString();
        await Post(client, "/api/feedback", new { runId, positive = true });

        var again = await Post(client, "/api/generate", new { source = "demo", question = "which studies run in france newest first" });
        Assert.Equal(sql, again.GetProperty("sql").GetString());
        Assert.Equal("your saved example", again.GetProperty("generator").GetString());
    }

    [Fact]
    public async Task AThumbsUp_TeachesOnlyItsUser_UntilAnAdminSharesIt()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100,
            ("QueryApp:TrustForwardedHeaders", "true"), ("QueryApp:Admins:0", "boss@example.org"));
        HttpClient As(string email)
        {
            var client = host.Client();
            client.DefaultRequestHeaders.Add("X-Forwarded-Email", email);
            return client;
        }

        using var mallory = As("mallory@example.org");
        using var ana = As("ana@example.org");
        using var boss = As("boss@example.org");
        const string question = "How many studies are there by phase?";
        var honest = (await Post(ana, "/api/generate", new { source = "demo", question })).GetProperty("sql").GetString()!.TrimEnd(';');

        // A thumbs-up on arbitrary SQL for a common question.
        const string poison = "SELECT 'all good' AS phase, 0 AS studies";
        var runId = (await Post(mallory, "/api/run", new { source = "demo", sql = poison, question, generated = false })).GetProperty("runId").GetString();
        Assert.True((await Post(mallory, "/api/feedback", new { runId, positive = true })).GetProperty("savedExample").GetBoolean());
        Assert.Equal(poison, (await Post(mallory, "/api/generate", new { source = "demo", question })).GetProperty("sql").GetString());

        var forAna = await Post(ana, "/api/generate", new { source = "demo", question });
        Assert.Equal(honest, forAna.GetProperty("sql").GetString()!.TrimEnd(';'));
        Assert.Equal("offline", forAna.GetProperty("generator").GetString());

        // Only an admin shares; what is shared says who saved it.
        var refused = await Post(mallory, "/api/examples/share", new { source = "demo", question, savedBy = "mallory@example.org" }, HttpStatusCode.Forbidden);
        Assert.Equal("Only an admin (QueryApp:Admins) can share an example with everyone.", refused.GetProperty("error").GetString());
        var review = JsonDocument.Parse(await boss.GetStringAsync("/api/examples?source=demo")).RootElement;
        Assert.True(review.GetProperty("isAdmin").GetBoolean());
        var pending = Assert.Single(review.GetProperty("othersUnshared").EnumerateArray());
        Assert.Equal("mallory@example.org", pending.GetProperty("savedBy").GetString());
        Assert.Equal(0, JsonDocument.Parse(await ana.GetStringAsync("/api/examples?source=demo")).RootElement.GetProperty("shared").GetArrayLength());

        var anaRun = (await Post(ana, "/api/run", new { source = "demo", sql = honest, question, generated = true })).GetProperty("runId").GetString();
        await Post(ana, "/api/feedback", new { runId = anaRun, positive = true });
        Assert.True((await Post(boss, "/api/examples/share", new { source = "demo", question, savedBy = "ana@example.org" })).GetProperty("shared").GetBoolean());
        using var cleo = As("cleo@example.org");
        var forCleo = await Post(cleo, "/api/generate", new { source = "demo", question });
        Assert.Equal(honest, forCleo.GetProperty("sql").GetString());
        Assert.Equal("shared example (saved by ana@example.org)", forCleo.GetProperty("generator").GetString());
        Assert.Equal(poison, (await Post(mallory, "/api/generate", new { source = "demo", question })).GetProperty("sql").GetString());
        Assert.Single(await host.EventsAsync(), e => e.Action == Actions.ShareExample && e.User == "boss@example.org");
    }

    [Fact]
    public async Task UnsafeSql_IsRefusedWithASentence_AndTrackedAsSqlError()
    {
        await using var host = await QueryAppHost.StartAsync();
        using var client = host.Client();
        var reply = await Post(client, "/api/run", new { source = "demo", sql = "SELECT 1; DROP TABLE clinical_trials" }, HttpStatusCode.BadRequest);
        Assert.Equal("Only one statement can run at a time; remove everything after the first semicolon.", reply.GetProperty("error").GetString());
        var error = Assert.Single(await host.EventsAsync(), e => e.Action == Actions.SqlError);
        Assert.Equal(reply.GetProperty("error").GetString(), error.Detail);
    }

    [Fact]
    public async Task FailingQuery_IsAClearMessage_AndTrackedAsDatabaseError()
    {
        await using var host = await QueryAppHost.StartAsync();
        using var client = host.Client();
        var reply = await Post(client, "/api/run", new { source = "demo", sql = "SELECT missing_column FROM clinical_trials" }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("The database says: no such column: missing_column.", reply.GetProperty("error").GetString());
        Assert.Single(await host.EventsAsync(), e => e.Action == Actions.DatabaseError);
    }

    [Fact]
    public async Task LargeResult_IsCutAtTheRowLimit_ButDownloadsInFull()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 3_000, ("QueryApp:RowLimit", "50"));
        using var client = host.Client();
        var run = await Post(client, "/api/run", new { source = "demo", sql = "SELECT nct_id, enrollment FROM clinical_trials" });
        Assert.True(run.GetProperty("truncated").GetBoolean());
        Assert.Equal(50, run.GetProperty("rows").GetArrayLength());
        Assert.Equal(50, run.GetProperty("rowLimit").GetInt32());
        var csv = await client.GetStringAsync($"/api/download?runId={run.GetProperty("runId").GetString()}&format=csv");
        Assert.Equal(3_001, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ForwardedEmail_IsIgnoredUnlessTrusted()
    {
        await using (var untrusted = await QueryAppHost.StartAsync(demoStudies: 100))
        {
            using var client = untrusted.Client();
            client.DefaultRequestHeaders.Add("X-Forwarded-Email", "mallory@evil.example");
            await client.GetAsync("/");
            Assert.All(await untrusted.EventsAsync(), e => Assert.Equal(DefaultUser, e.User));
        }

        await using var trusted = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:TrustForwardedHeaders", "true"));
        using var proxied = trusted.Client();
        proxied.DefaultRequestHeaders.Add("X-Forwarded-Email", "ana@example.org");
        await proxied.GetAsync("/");
        Assert.Equal("ana@example.org", Assert.Single(await trusted.EventsAsync()).User);
    }

    [Fact]
    public async Task AccessKey_IsAskedOncePerBrowserSession()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:AccessKey", "open sesame"));
        using var client = host.Client();
        var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/login", page.Headers.Location!.AbsolutePath);
        var api = await client.GetAsync("/api/questions");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("Enter the access key first.", JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        Assert.Contains("That key is not right", await LoginAsync(client, "guess"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
        await LoginAsync(client, "open sesame");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/questions")).StatusCode);
        Assert.Equal(Actions.AppStart, (await host.EventsAsync())[0].Action);

        using var otherBrowser = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await otherBrowser.GetAsync("/")).StatusCode);
    }

    internal static Dictionary<string, string> HiddenFields(string form) =>
        HiddenInput().Matches(form).ToDictionary(m => m.Groups["name"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));

    internal static async Task<string> LoginAsync(HttpClient client, string key)
    {
        var form = await client.GetStringAsync("/login");
        var fields = HiddenFields(form);
        fields["Key"] = key;
        var response = await client.PostAsync("/login", new FormUrlEncodedContent(fields));
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task MalformedBody_GetsOneSentence_NotAStackTrace()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100);
        using var client = host.Client();
        var response = await client.PostAsync("/api/run", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("The request was not understood: send JSON with the fields the page sends.", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARun_BelongsToItsSession()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100);
        using var alice = host.Client();
        using var bob = host.Client();
        var runId = (await Post(alice, "/api/run", new { source = "demo", sql = "SELECT nct_id FROM clinical_trials" })).GetProperty("runId").GetString();
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/download?runId={runId}&format=csv")).StatusCode);
        Assert.Equal("That result is no longer available; run the query again.", (await Post(bob, "/api/summary", new { runId }, HttpStatusCode.NotFound)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AFailureOfTheAppItself_IsOneSentenceForTheUser_AndTrackedAsAppError_WithoutTheRequestsData()
    {
        await using var host = await QueryAppHost.StartWithServicesAsync(services =>
            services.AddSingleton<UsageTracking.QueryApp.Generation.ISqlGenerator>(new BrokenGenerator()));
        using var client = host.Client();
        const string Question = "How many studies mention secret-project-42?";

        var reply = await Post(client, "/api/generate", new { source = "demo", question = Question }, HttpStatusCode.InternalServerError);

        Assert.DoesNotContain("at UsageTracking", reply.GetProperty("error").GetString(), StringComparison.Ordinal);
        var error = Assert.Single(await host.EventsWithAsync(Actions.AppError), e => e.Action == Actions.AppError);
        Assert.Equal("InvalidOperationException: The generator is broken.", error.Detail);
        using var properties = JsonDocument.Parse(error.Properties!);
        Assert.Equal("/api/generate", properties.RootElement.GetProperty("path").GetString());
        Assert.Equal("POST", properties.RootElement.GetProperty("method").GetString());
        Assert.Equal(DefaultUser, error.User);
        Assert.DoesNotContain("secret-project-42", $"{error.Detail}{error.Properties}", StringComparison.Ordinal);
    }

    /// <summary>A generator with a bug: it throws, as code that should not would.</summary>
    private sealed class BrokenGenerator : UsageTracking.QueryApp.Generation.ISqlGenerator
    {
        public string Name => "broken";

        public bool UsesModel => false;

        public bool CanFix => false;

        public Task<UsageTracking.QueryApp.Generation.GeneratedSql> GenerateAsync(UsageTracking.QueryApp.Generation.GenerationRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The generator is broken.");

        public Task<UsageTracking.QueryApp.Generation.GeneratedSql> FixAsync(UsageTracking.QueryApp.Generation.GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The generator is broken.");
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();
}
