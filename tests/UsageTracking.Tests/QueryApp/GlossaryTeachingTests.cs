using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>Teaching the glossary a term from a refusal, over HTTP: checked against the data, the teacher's own until an admin shares it.</summary>
public sealed class GlossaryTeachingTests : IAsyncLifetime
{
    private const string Question = "How many dermatology studies are there?";
    private QueryAppHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await QueryAppHost.StartAsync(500, ("QueryApp:TrustForwardedHeaders", "true"), ("QueryApp:Admins:0", "boss@example.org"));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient As(string email)
    {
        var client = _host.Client();
        client.DefaultRequestHeaders.Add("X-Forwarded-Email", email);
        return client;
    }

    private static async Task<JsonElement> Post(HttpClient client, string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<long> CountAsync(HttpClient client, string sql) =>
        (await Post(client, "/api/run", new { source = "demo", sql })).GetProperty("rows")[0][0].GetInt64();

    [Fact]
    public async Task ARefusedWord_TaughtAsValues_AnswersTheTeacher_AndOthersOnlyOnceAnAdminSharesIt()
    {
        using var ana = As("ana@example.org");
        using var ben = As("ben@example.org");
        using var boss = As("boss@example.org");

        var refused = await Post(ana, "/api/generate", new { source = "demo", question = Question });
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("sql").ValueKind);
        Assert.Equal(["dermatology"], refused.GetProperty("unknown").EnumerateArray().Select(w => w.GetString()));

        var form = JsonDocument.Parse(await ana.GetStringAsync("/api/glossary?source=demo")).RootElement;
        var condition = form.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "condition");
        Assert.Contains("Psoriasis", condition.GetProperty("values").EnumerateArray().Select(v => v.GetString()));

        var taught = await Post(ana, "/api/glossary", new { source = "demo", term = "Dermatology", column = "condition", values = new[] { "psoriasis", "Melanoma" } });
        Assert.Equal("condition is one of Psoriasis, Melanoma", taught.GetProperty("meaning").GetString());
        Assert.False(taught.GetProperty("shared").GetBoolean());

        var answered = await Post(ana, "/api/generate", new { source = "demo", question = Question });
        Assert.Contains("Psoriasis", answered.GetProperty("interpretation").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            await CountAsync(ana, "SELECT COUNT(*) FROM clinical_trials WHERE condition IN ('Psoriasis', 'Melanoma')"),
            await CountAsync(ana, answered.GetProperty("sql").GetString()!));

        // Ben still gets the refusal: one user's term does not answer everyone's questions.
        Assert.Equal(JsonValueKind.Null, (await Post(ben, "/api/generate", new { source = "demo", question = Question })).GetProperty("sql").ValueKind);
        Assert.Equal(HttpStatusCode.Forbidden, (await ben.PostAsJsonAsync("/api/glossary/share", new { source = "demo", term = "dermatology" })).StatusCode);
        var pending = JsonDocument.Parse(await boss.GetStringAsync("/api/glossary?source=demo")).RootElement.GetProperty("terms").EnumerateArray()
            .Single(t => t.GetProperty("term").GetString() == "dermatology");
        Assert.Equal("ana@example.org", pending.GetProperty("taughtBy").GetString());
        Assert.False(pending.GetProperty("shared").GetBoolean());

        Assert.True((await Post(boss, "/api/glossary/share", new { source = "demo", term = "dermatology" })).GetProperty("shared").GetBoolean());
        var forBen = await Post(ben, "/api/generate", new { source = "demo", question = Question });
        Assert.Equal(answered.GetProperty("sql").GetString(), forBen.GetProperty("sql").GetString());

        // The term lives in the source's glossary file, with who taught and who shared it.
        var file = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_host.DataDirectory, "glossary-demo.json"))).RootElement;
        var saved = file.GetProperty("terms").GetProperty("dermatology");
        Assert.Equal("ana@example.org", saved.GetProperty("taughtBy").GetString());
        Assert.Equal("boss@example.org", saved.GetProperty("sharedBy").GetString());
        var events = await _host.EventsWithAsync(Actions.TeachTerm);
        Assert.Equal(["ana@example.org", "boss@example.org"], events.Where(e => e.Action == Actions.TeachTerm).Select(e => e.User));
    }

    [Fact]
    public async Task ATermTaughtAsAColumn_ReadsAsThatColumn()
    {
        using var ana = As("ana@example.org");
        const string question = "Average cohort size by phase";
        Assert.Equal(JsonValueKind.Null, (await Post(ana, "/api/generate", new { source = "demo", question })).GetProperty("sql").ValueKind);

        var taught = await Post(ana, "/api/glossary", new { source = "demo", term = "cohort size", column = "enrollment", values = Array.Empty<string>() });
        Assert.Equal("the column enrollment", taught.GetProperty("meaning").GetString());

        var answered = await Post(ana, "/api/generate", new { source = "demo", question });
        Assert.Equal("average enrollment · by phase", answered.GetProperty("interpretation").GetString());
    }

    [TmpfsFact(Timeout = 120_000)]
    public async Task ADiskTooFullToSaveTheGlossary_SaysSo_AndKeepsWhatWasTaught()
    {
        using var disk = new Tmpfs("4096");
        await using var host = await QueryAppHost.StartAsync(200, ("QueryApp:DataDirectory", disk.Path));
        using var client = host.Client();
        await Post(client, "/api/glossary", new { source = "demo", term = "dermatology", column = "condition", values = new[] { "Psoriasis" } });

        await using (var fill = File.Create(Path.Combine(disk.Path, "fill")))
        {
            var block = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    await fill.WriteAsync(block);
                    await fill.FlushAsync();
                }
            }
            catch (IOException)
            {
            }
        }

        var reply = await Post(client, "/api/glossary", new { source = "demo", term = "skin", column = "condition", values = new[] { "Melanoma" } }, HttpStatusCode.InternalServerError);
        Assert.Equal("The glossary could not be saved (the disk is full or not writable); nothing was changed.", reply.GetProperty("error").GetString());
        Assert.False(File.Exists(Path.Combine(disk.Path, "glossary-demo.json.tmp")));
        Assert.Equal(JsonValueKind.Null, (await Post(client, "/api/generate", new { source = "demo", question = "How many skin studies?" })).GetProperty("sql").ValueKind);
        Assert.Contains("Psoriasis", (await Post(client, "/api/generate", new { source = "demo", question = Question })).GetProperty("interpretation").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dermatology", "condition", new[] { "Acne" }, "“Acne” is not a value of condition; its values include")]
    [InlineData("dermatology", "enrollment", new[] { "12" }, "enrollment has no short list of values to choose from; teach “dermatology” as the column itself")]
    [InlineData("dermatology", "weather", new string[0], "Choose the column “dermatology” is about: one of nct_id, title,")]
    [InlineData("phase", "status", new string[0], "“phase” is already the column phase.")]
    [InlineData("oncology", "condition", new[] { "Asthma" }, "“oncology” already means condition is one of")]
    [InlineData("<script>", "condition", new string[0], "A term is a word or a short phrase")]
    public async Task ATermThatDoesNotFitTheData_IsRefusedInOneSentence_AndNothingIsSaved(string term, string column, string[] values, string error)
    {
        using var ana = As("ana@example.org");
        var reply = await Post(ana, "/api/glossary", new { source = "demo", term, column, values }, HttpStatusCode.BadRequest);
        Assert.StartsWith(error, reply.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_host.DataDirectory, "glossary-demo.json")));
    }
}
