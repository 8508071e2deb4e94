using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using UsageTracking.Sql;
using UsageTracking.Testing;
using UsageTracking.Tests.Corpus;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The corpus of hostile inputs, and hostile requests, sent to the real app over HTTP: one sentence each, nothing changed, no crash.</summary>
public sealed class HostileRequestTests
{
    private static async Task<(HttpStatusCode Status, string? Error, JsonElement Body)> Send(HttpClient client, string path, HttpContent content)
    {
        var response = await client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        return (response.StatusCode, body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) ? e.GetString() : null, body);
    }

    private static Task<(HttpStatusCode Status, string? Error, JsonElement Body)> Post(HttpClient client, string path, object body) =>
        Send(client, path, JsonContent.Create(body));

    /// <summary>
    /// Every attack in the corpus, on every source given, is refused by the guard with a sentence (400); one aimed at another
    /// dialect may instead be refused by the database (422), with a sentence too.
    /// </summary>
    internal static async Task AssertEveryAttackRefusedAsync(QueryAppHost host, params (string Source, SqlDialect Dialect)[] sources)
    {
        using var client = host.Client();
        foreach (var (source, dialect) in sources)
        {
            foreach (var (sql, tries, dialects) in HostileInputs.Sql)
            {
                var (status, error, _) = await Post(client, "/api/run", new { source, sql });
                var refused = dialects.Contains(dialect) ? status == HttpStatusCode.BadRequest : status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity;
                Assert.True(refused, $"{source}, {tries}: {(int)status} for {sql}");
                HostileInputs.AssertOneSentence(error, $"{source}, {tries}");
            }
        }
    }

    [Fact]
    public async Task EveryAttackInTheCorpus_IsRefusedOnTheDemoTheUsageTableAndDatabricks()
    {
        await using var warehouse = await DatabricksEmulator.StartAsync();
        await using var host = await QueryAppHost.StartAsync(100,
            ("QueryApp:DatabricksTable", "main.demo.trials"),
            ("QueryApp:Databricks:Host", warehouse.BaseAddress.ToString()),
            ("QueryApp:Databricks:HttpPath", $"/sql/1.0/warehouses/{DatabricksEmulator.Warehouse}"),
            ("QueryApp:Databricks:AccessToken", DatabricksEmulator.Token));
        await AssertEveryAttackRefusedAsync(host, ("demo", SqlDialect.Sqlite), ("usage", SqlDialect.Sqlite), ("databricks", SqlDialect.Databricks));
        await using var demo = new SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "demo-clinical-trials.db")};Mode=ReadOnly");
        await demo.OpenAsync();
        await using var count = demo.CreateCommand();
        count.CommandText = "SELECT count(*) FROM clinical_trials";
        Assert.Equal(100L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task HeavyQueries_EndInOneSentenceOrABoundedResult_AndTheAppCarriesOn()
    {
        await using var host = await QueryAppHost.StartAsync(100, ("QueryApp:QueryTimeout", "00:00:03"), ("QueryApp:ResultByteLimit", "1048576"));
        using var client = host.Client();
        foreach (var (sql, tries) in HostileInputs.Heavy)
        {
            var (status, error, body) = await Post(client, "/api/run", new { source = "demo", sql });
            if (status == HttpStatusCode.OK)
            {
                Assert.True(body.GetProperty("rows").GetArrayLength() <= 5_000, tries);
                Assert.InRange(body.GetRawText().Length, 0, 4L << 20);
            }
            else
            {
                Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{tries}: {(int)status}");
                HostileInputs.AssertOneSentence(error, tries);
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(client, "/api/run", new { source = "demo", sql = "SELECT count(*) AS n FROM clinical_trials" })).Status);
    }

    [Fact]
    public async Task HostileQuestions_GetSqlThatPassesTheGuard_OrASentence()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();
        foreach (var question in HostileInputs.Questions)
        {
            var (status, error, body) = await Post(client, "/api/generate", new { source = "demo", question });
            Assert.True(status == HttpStatusCode.OK, $"{(int)status} for {question[..Math.Min(40, question.Length)]}");
            if (body.GetProperty("sql").GetString() is { } sql)
            {
                var (_, _, check) = await Post(client, "/api/validate", new { source = "demo", sql });
                Assert.True(check.GetProperty("valid").GetBoolean(), $"generated SQL the guard refuses: {sql}");
            }
            else
            {
                HostileInputs.AssertOneSentence(body.GetProperty("message").GetString() ?? error, question[..Math.Min(40, question.Length)]);
            }
        }
    }

    [Fact]
    public async Task HostileColumnLists_AreRefusedWith400_OrAddedAsQuotedNamesInOneStatement()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();
        foreach (var (columns, refused) in HostileInputs.Columns)
        {
            var (status, error, body) = await Send(client, "/api/columns",
                new StringContent($$"""{"source":"demo","sql":"SELECT phase FROM clinical_trials","columns":{{columns.GetRawText()}}}""", Encoding.UTF8, "application/json"));
            if (refused)
            {
                Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} for {columns.GetRawText()}");
                HostileInputs.AssertOneSentence(error, columns.GetRawText());
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, status);
            var (_, _, check) = await Post(client, "/api/validate", new { source = "demo", sql = body.GetProperty("sql").GetString() });
            Assert.True(check.GetProperty("valid").GetBoolean(), body.GetProperty("sql").GetString());
        }
    }

    [Fact]
    public async Task HostileBodies_GetA4xxSentence_NeverA500()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();
        foreach (var (path, raw) in HostileInputs.Bodies)
        {
            var (status, error, _) = await Send(client, path, new StringContent(raw, Encoding.UTF8, "application/json"));
            Assert.True((int)status is >= 400 and < 500, $"{path} {raw[..Math.Min(30, raw.Length)]}: {(int)status}");
            HostileInputs.AssertOneSentence(error, $"{path} {raw[..Math.Min(30, raw.Length)]}");
        }
    }

    [Fact]
    public async Task EveryErrorStatus_IsOneSentenceInTheAppsShape()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        using var client = host.Client();
        async Task Expect(HttpResponseMessage response, HttpStatusCode status, string sentence)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(sentence, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }

        await Expect(await client.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound, "There is nothing at this address.");
        await Expect(await client.DeleteAsync("/api/run"), HttpStatusCode.MethodNotAllowed, "This address does not accept DELETE requests.");
        await Expect(await client.PostAsync("/api/run", new StringContent("sql=SELECT 1", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "Send the body as JSON (Content-Type: application/json).");
        // Expect: 100-continue, as careful clients send large bodies: the server answers before the body goes out, so the test
        // never races the server closing the connection on a body it refused (a broken pipe on the client's write).
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, "/api/run")
        {
            Content = new StringContent($$"""{"sql":"{{new string('x', 2 << 20)}}"}""", Encoding.UTF8, "application/json"),
        };
        tooLarge.Headers.ExpectContinue = true;
        await Expect(await client.SendAsync(tooLarge), HttpStatusCode.RequestEntityTooLarge, "The request is too large.");
        await Expect(await client.PostAsync("/api/run", new StringContent("{not json", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "The request was not understood: send JSON with the fields the page sends.");

        var page = await client.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("<p>There is nothing at this address.</p>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostTheAppDoesNotServe_IsRefused_UnlessAllowedHostsNamesIt()
    {
        await using (var local = await QueryAppHost.StartAsync(100))
        {
            using var client = local.Client();
            using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/questions?source=demo") { Headers = { Host = "attacker.example" } };
            var refused = await client.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            HostileInputs.AssertOneSentence(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), "Host");
            using var named = new HttpRequestMessage(HttpMethod.Get, "/api/questions?source=demo") { Headers = { Host = $"localhost:{local.Address.Port}" } };
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(named)).StatusCode);
        }

        await using var served = await QueryAppHost.StartAsync(100, ("AllowedHosts", "usage.example.org"));
        using var proxied = served.Client();
        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/api/questions?source=demo") { Headers = { Host = "usage.example.org" } };
        Assert.Equal(HttpStatusCode.OK, (await proxied.SendAsync(allowed)).StatusCode);
        using var loopback = new HttpRequestMessage(HttpMethod.Get, "/api/questions?source=demo");
        Assert.Equal(HttpStatusCode.BadRequest, (await proxied.SendAsync(loopback)).StatusCode);
    }

    [Fact]
    public async Task WithOnlyAnApiKey_EveryDataRouteNeedsTheKeyOrALogin()
    {
        const string key = "script-key-123";
        await using var host = await QueryAppHost.StartAsync(100, ("QueryApp:ApiKey", key));
        using var stranger = host.Client();
        foreach (var (method, path) in new[] { ("POST", "/api/run"), ("GET", "/api/questions?source=usage"), ("GET", "/api/metrics"), ("GET", "/api/export?format=csv"), ("GET", "/api/examples?source=usage"), ("GET", "/api/dashboard/live") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = method == "POST" ? JsonContent.Create(new { source = "usage", sql = "SELECT * FROM central_app_usage" }) : null,
            };
            var response = await stranger.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
            HostileInputs.AssertOneSentence(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), path);
        }

        Assert.Equal(HttpStatusCode.OK, (await stranger.GetAsync("/api/health")).StatusCode);

        using var script = host.Client();
        script.DefaultRequestHeaders.Add("X-API-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await Post(script, "/api/run", new { source = "demo", sql = "SELECT count(*) AS n FROM clinical_trials" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/export?format=csv")).StatusCode);

        // A browser enters the same key once; exports stay for scripts with the header.
        using var browser = host.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
        await FlowEndpointsTests.LoginAsync(browser, key);
        Assert.Equal(HttpStatusCode.OK, (await Post(browser, "/api/run", new { source = "demo", sql = "SELECT count(*) AS n FROM clinical_trials" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/export?format=csv")).StatusCode);
    }
}

/// <summary>The corpus against the usage table in PostgreSQL, through the app.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHostileRequestTests(PostgresServer server)
{
    [Fact]
    public async Task EveryAttackInTheCorpus_IsRefusedOnTheUsageTableInPostgres()
    {
        await using var host = await QueryAppHost.StartAsync(100,
            ("UsageTracking:Store", "postgres"), ("UsageTracking:ConnectionString", server.ConnectionString),
            ("UsageTracking:TableName", "usage_" + Guid.NewGuid().ToString("N")[..10]));
        await HostileRequestTests.AssertEveryAttackRefusedAsync(host, ("usage", SqlDialect.Postgres));
    }
}
