using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UsageTracking.QueryApp;
using UsageTracking.QueryApp.Components.Query;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Services;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>
/// Each step's component rendered with bUnit over the real flow (the demo data in SQLite), with a recording fake tracker:
/// what it shows, how it reacts, and exactly which event it tracks — error paths included.
/// </summary>
public sealed class QueryComponentTests : IAsyncLifetime
{
    private const string Sql = "SELECT phase, COUNT(*) AS studies FROM clinical_trials GROUP BY phase ORDER BY phase";
    private readonly TempFolder _folder = new();
    private readonly BunitContext _bunit = new();
    private readonly RecordingTracker _tracker = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UserSession _session = new("ana@example.org", UserSession.NewId(), HasAccess: true);

    public async Task InitializeAsync() => await DemoData.EnsureAsync(_folder.File("demo-clinical-trials.db"), 500);

    public async Task DisposeAsync()
    {
        await _bunit.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private QueryFlow Flow => _bunit.Services.GetRequiredService<QueryFlow>();

    // The flow's real services on the test's folder; the tracker is the recording fake, the clock a fake one, and
    // chatClient (when given) the fake model behind QueryApp:Llm.
    private void Services(IChatClient? chatClient = null)
    {
        var settings = new Dictionary<string, string?> { ["QueryApp:DataDirectory"] = _folder.Path, ["UsageTracking:DataDirectory"] = _folder.Path };
        if (chatClient is not null)
        {
            settings["QueryApp:Llm:Model"] = "fake-model";
            _bunit.Services.AddSingleton(chatClient);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _bunit.Services.AddSingleton<IConfiguration>(configuration);
        _bunit.Services.AddLogging();
        _bunit.Services.AddOptions<UsageTrackingOptions>();
        _bunit.Services.AddSingleton<TimeProvider>(_time);
        _bunit.Services.AddQueryFlow(configuration);
        _bunit.Services.AddSingleton<IUsageTracker>(_tracker);
        _bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : IComponent =>
        _bunit.Render<T>(p =>
        {
            p.AddCascadingValue(_session);
            parameters?.Invoke(p);
        });

    private async Task<string> RunIdAsync(string sql = Sql)
    {
        var run = await Flow.RunAsync(_session, "demo", sql, "Studies per phase?", generated: true, CancellationToken.None);
        _tracker.Clear();
        return run.RunId!;
    }

    [Fact]
    public void SuggestedQuestions_ShowThreeAndMore_WithoutTracking_AndAClickTracksViewRandomQuestions()
    {
        Services();
        string? picked = null;
        var cut = Render<SuggestedQuestions>(p => p.Add(c => c.SourceId, "demo").Add(c => c.OnPick, q => picked = q));
        var first = cut.FindAll(".suggestion").Select(b => b.TextContent).ToList();
        Assert.Equal(3, first.Count);
        cut.Find("#more").Click();
        var second = cut.FindAll(".suggestion").Select(b => b.TextContent).ToList();
        Assert.Equal(3, second.Count);
        Assert.Empty(first.Intersect(second));
        Assert.Empty(_tracker.Events);

        cut.FindAll(".suggestion")[1].Click();
        Assert.Equal(second[1], picked);
        var clicked = Assert.Single(_tracker.Events);
        Assert.Equal(Actions.ViewRandomQuestions, clicked.Action);
        Assert.Equal(_session.SessionId, clicked.SessionId);
        Assert.Equal("ana@example.org", clicked.User);
        Assert.Equal(second[1], clicked.Properties!["question"]);
    }

    [Fact]
    public void QuestionBox_GeneratesSql_TrackingTheQuestionAndTheSql()
    {
        Services();
        GeneratedQuery? generated = null;
        var cut = Render<QuestionBox>(p => p.Add(c => c.SourceId, "demo").Add(c => c.OnGenerated, q => generated = q));
        cut.Find("#question").Input("How many studies are there by phase?");
        cut.Find("#ask-form").Submit();

        cut.WaitForAssertion(() => Assert.NotNull(generated));
        Assert.Contains("GROUP BY phase", generated!.Reply.Sql, StringComparison.Ordinal);
        Assert.Equal("count of studies · by phase", generated.Reply.Interpretation);
        Assert.Equal([Actions.GenerateQuestion, Actions.SqlQuery], _tracker.Actions);
        Assert.Equal(generated.Reply.Sql, _tracker.Events[1].Properties!["sql"]);
        Assert.All(_tracker.Events, e => Assert.True(e.DurationMs >= 0));
    }

    [Fact]
    public void QuestionBox_ARefusal_NamesTheWords_OffersToTeachThem_AndGeneratesNothing()
    {
        Services();
        var generated = false;
        var cut = Render<QuestionBox>(p => p.Add(c => c.SourceId, "demo").Add(c => c.OnGenerated, _ => generated = true));
        cut.Find("#ask-form").Submit();
        Assert.Equal("Type a question first.", cut.Find("#ask-message").TextContent);
        Assert.Empty(_tracker.Events);

        cut.Find("#question").Input("Show me the weather in Paris");
        cut.Find("#ask-form").Submit();
        cut.WaitForAssertion(() => Assert.Contains("I did not understand “weather”", cut.Find("#ask-message").TextContent, StringComparison.Ordinal));
        Assert.False(generated);
        Assert.Equal("weather", cut.Find("#teach-term").GetAttribute("value") ?? cut.Find("#teach-term option").GetAttribute("value"));
        Assert.Equal([Actions.GenerateQuestion, Actions.SqlQuery], _tracker.Actions);
        Assert.Equal(false, _tracker.Events[1].Properties!["answered"]);
    }

    [Fact]
    public void QuestionBox_AModelThatCannotBeReached_IsAnLlmError_InOneSentence()
    {
        Services(new FakeChatClient(_ => throw new HttpRequestException("connection refused")));
        var cut = Render<QuestionBox>(p => p.Add(c => c.SourceId, "demo"));
        cut.Find("#question").Input("Studies per phase?");
        cut.Find("#ask-form").Submit();

        cut.WaitForAssertion(() => Assert.Equal("The language model endpoint could not be reached.", cut.Find("#ask-message").TextContent));
        Assert.Contains("error", cut.Find("#ask-message").ClassName, StringComparison.Ordinal);
        Assert.Equal([Actions.GenerateQuestion, Actions.LlmError], _tracker.Actions);
        Assert.True(_tracker.Events[1].IsError);
    }

    [Fact]
    public void QuestionBox_AModelsAnswer_IsCheckedAndItsTokensTracked_ThroughTheRegisteredChatClient()
    {
        var model = new FakeChatClient(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "```sql\n" + Sql + "\n```"))
        {
            ModelId = "fake-model-2026",
            Usage = new UsageDetails { InputTokenCount = 900, OutputTokenCount = 20, CachedInputTokenCount = 800 },
        });
        Services(model);
        GeneratedQuery? generated = null;
        var cut = Render<QuestionBox>(p => p.Add(c => c.SourceId, "demo").Add(c => c.OnGenerated, q => generated = q));
        cut.Find("#question").Input("Studies per phase?");
        cut.Find("#ask-form").Submit();

        cut.WaitForAssertion(() => Assert.NotNull(generated));
        Assert.Equal(Sql, generated!.Reply.Sql);
        Assert.Equal("fake-model", generated.Reply.Generator);
        var tokens = Assert.Single(_tracker.Events, e => e.Action == Actions.TokenUsage);
        Assert.Equal("fake-model-2026", tokens.Model);
        Assert.Equal(100, tokens.InputTokens);
        Assert.Equal(20, tokens.OutputTokens);
        Assert.Contains("clinical_trials", Assert.Single(model.Calls).First().Text, StringComparison.Ordinal);
    }

    [Fact]
    public void SqlEditor_ChecksTheSqlOnceTheUserPauses_AndMarksTheInterpretationStale()
    {
        Services();
        var cut = Render<SqlEditor>(p => p.Add(c => c.SourceId, "demo").Add(c => c.Query, Generated()));
        cut.Find("#sql").Input(Sql + " LIMIT 3");
        cut.Find("#sql").Input(Sql + " LIMIT 2");
        Assert.Empty(_tracker.Events);
        Assert.Contains("stale", cut.Find("#interpretation").ClassName, StringComparison.Ordinal);

        _time.Advance(SqlEditor.ValidationDelay);
        cut.WaitForAssertion(() => Assert.Equal("Looks like a read-only query; ready to run.", cut.Find("#sql-status").TextContent));
        var edit = Assert.Single(_tracker.Events);
        Assert.Equal(Actions.EditSql, edit.Action);
        Assert.Equal(Sql + " LIMIT 2", edit.Properties!["sql"]);

        cut.Find("#reset").Click();
        Assert.Equal(Sql, cut.Find("#sql").GetAttribute("value"));
        Assert.DoesNotContain("stale", cut.Find("#interpretation").ClassName ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void SqlEditor_Runs_AndRefusesAWrite_AsAnSqlError_WithoutRunningIt()
    {
        Services();
        CompletedRun? ran = null;
        var cut = Render<SqlEditor>(p => p.Add(c => c.SourceId, "demo").Add(c => c.Query, Generated()).Add(c => c.OnRan, r => ran = r));
        cut.Find("#run").Click();
        cut.WaitForAssertion(() => Assert.NotNull(ran));
        Assert.Equal(["phase", "studies"], ran!.Reply.Columns.Select(c => c.Name));
        Assert.Equal("Studies per phase?", ran.Question);
        Assert.Equal([Actions.ExecuteSql], _tracker.Actions);

        _tracker.Clear();
        ran = null;
        cut.Find("#sql").Input("DELETE FROM clinical_trials");
        cut.Find("#run").Click();
        cut.WaitForAssertion(() => Assert.Contains("error", cut.Find("#sql-status").ClassName, StringComparison.Ordinal));
        Assert.Null(ran);
        Assert.Equal([Actions.EditSql, Actions.SqlError], _tracker.Actions);
        Assert.EndsWith(".", cut.Find("#sql-status").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", cut.Find("#sql-status").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void SqlEditor_AQueryTheDatabaseRejects_IsADatabaseError_InOneSentence()
    {
        Services();
        var cut = Render<SqlEditor>(p => p.Add(c => c.SourceId, "demo").Add(c => c.Query, Generated()));
        cut.Find("#sql").Input("SELECT no_such_column FROM clinical_trials");
        cut.Find("#run").Click();

        cut.WaitForAssertion(() => Assert.Contains("no_such_column", cut.Find("#sql-status").TextContent, StringComparison.Ordinal));
        Assert.Equal([Actions.EditSql, Actions.DatabaseError], _tracker.Actions);
        Assert.True(_tracker.Events[1].IsError);
    }

    [Fact]
    public void ColumnPicker_AddsTheChosenColumns_TrackingSelectColumns()
    {
        Services();
        (string Sql, string Message)? added = null;
        var cut = Render<ColumnPicker>(p => p.Add(c => c.SourceId, "demo").Add(c => c.Columns, ["phase", "status", "country"]).Add(c => c.Sql, Sql)
            .Add(c => c.OnAdded, a => added = a));
        cut.Find("#column-list input[value='status']").Change(true);
        cut.Find("#add-columns").Click();

        Assert.Contains("GROUP BY phase, status", added!.Value.Sql, StringComparison.Ordinal);
        Assert.Equal("Added status.", added.Value.Message);
        var step = Assert.Single(_tracker.Events);
        Assert.Equal(Actions.SelectColumns, step.Action);
        Assert.Equal("status", step.Properties!["columns"]);
    }

    [Fact]
    public async Task ResultGrid_Pages25Rows_SortsByAClickedColumn_AndSaysWhenTheResultWasCut()
    {
        Services();
        var reply = await Flow.RunAsync(_session, "demo", "SELECT condition, phase, COUNT(*) AS n FROM clinical_trials GROUP BY condition, phase ORDER BY condition, phase", null, false, CancellationToken.None);
        Assert.True(reply.Rows.Count > ResultGrid.PageSize, "the demo needs more groups than one page");
        _bunit.JSInterop.SetupModule("./_content/Microsoft.AspNetCore.Components.QuickGrid/QuickGrid.razor.js").Mode = JSRuntimeMode.Loose;
        var cut = Render<ResultGrid>(p => p.Add(c => c.Run, reply));
        Assert.Equal(ResultGrid.PageSize, cut.FindAll("tbody tr.result-row").Count);
        Assert.Empty(cut.FindAll("#result-limit"));

        cut.FindAll("th .col-title")[2].Click();
        var counts = reply.Rows.Select(r => Convert.ToInt64(r[2], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        cut.WaitForAssertion(() => Assert.Equal(counts[0].ToString(System.Globalization.CultureInfo.InvariantCulture), cut.Find("tbody tr.result-row td:nth-child(3)").TextContent.Trim()));

        var cut2 = Render<ResultGrid>(p => p.Add(c => c.Run, reply with { Truncated = true, RowLimit = reply.Rows.Count, TruncatedBy = "rows" }));
        Assert.Equal($"Showing the first {reply.Rows.Count:N0} rows; the result has more. Downloads include up to the download limit.", cut2.Find("#result-limit").TextContent);
    }

    [Fact]
    public async Task ResultChart_DrawsThroughItsModule_AndADrawingFailureComesBackAsAChartError()
    {
        Services();
        var runId = await RunIdAsync();
        var module = _bunit.JSInterop.SetupModule("./Components/Query/ResultChart.razor.js");
        module.Setup<string?>("draw", i => Labels(i) != 3).SetResult(null);
        module.Setup<string?>("draw", i => Labels(i) == 3).SetResult("Canvas is already in use.");
        var cut = Render<ResultChart>(p => p.Add(c => c.RunId, runId));
        cut.WaitForAssertion(() => Assert.Equal("bar", cut.Find("#chart-card").GetAttribute("data-drawn")));
        Assert.Equal([Actions.GenerateChart], _tracker.Actions);
        Assert.Equal("bar", _tracker.Events[0].Properties!["chart"]);

        _tracker.Clear();
        var runId2 = await RunIdAsync(Sql + " LIMIT 3");
        cut.Render(p => p.Add(c => c.RunId, runId2));
        cut.WaitForAssertion(() => Assert.Equal("The chart could not be drawn.", cut.Find("#chart-note").TextContent));
        Assert.Null(cut.Find("#chart-card").GetAttribute("data-drawn"));
        Assert.Equal([Actions.GenerateChart, Actions.ChartError], _tracker.Actions);
        Assert.Equal("Canvas is already in use.", _tracker.Events[1].Detail);
        Assert.True(_tracker.Events[1].IsError);

        static int Labels(JSRuntimeInvocation invocation) => ((UsageTracking.QueryApp.Presentation.ChartSpec)invocation.Arguments[1]!).Labels.Count;
    }

    [Fact]
    public async Task ResultSummary_SummarisesTheRun_TrackingGenerateSummary()
    {
        Services();
        var runId = await RunIdAsync();
        var cut = Render<ResultSummary>(p => p.Add(c => c.RunId, runId));
        Assert.Empty(cut.FindAll("#summary li"));
        cut.Find("#summarize").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#summary li")));
        Assert.Contains("rows", cut.Find("#summary li").TextContent, StringComparison.Ordinal);
        Assert.Equal([Actions.GenerateSummary], _tracker.Actions);
    }

    [Fact]
    public async Task FeedbackButtons_ThumbsUpSavesTheExample_OnceARun_AndAnExpiredRunSaysSo()
    {
        Services();
        var runId = await RunIdAsync();
        var saved = false;
        var cut = Render<FeedbackButtons>(p => p.Add(c => c.RunId, runId).Add(c => c.OnSaved, () => saved = true));
        cut.Find("#thumbs-up").Click();
        Assert.True(saved);
        Assert.Contains("saved as your example", cut.Find("#feedback-message").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("#thumbs-down").HasAttribute("disabled"));
        Assert.Equal([Actions.ThumbsUp], _tracker.Actions);
        Assert.Equal("Studies per phase?", Assert.Single(Flow.Examples(_session, "demo").Mine).Question);

        _tracker.Clear();
        var expired = Render<FeedbackButtons>(p => p.Add(c => c.RunId, "0123456789abcdef01234567"));
        expired.Find("#thumbs-down").Click();
        Assert.Equal("That result is no longer available; run the query again.", expired.Find("#feedback-message").TextContent);
        Assert.Empty(_tracker.Events);
    }

    [Fact]
    public void DownloadButtons_LinkToTheServersStreamOfTheRun()
    {
        Services();
        var cut = Render<DownloadButtons>(p => p.Add(c => c.RunId, "abc123"));
        Assert.Equal("/api/download?runId=abc123&format=xlsx", cut.Find("#download-xlsx").GetAttribute("href"));
        Assert.Equal("/api/download?runId=abc123&format=csv", cut.Find("#download-csv").GetAttribute("href"));
        Assert.True(cut.Find("#download-xlsx").HasAttribute("download"));
    }

    [Fact]
    public async Task SavedExamples_LoadWhenOpened_AndListTheUsersOwn()
    {
        Services();
        Flow.Feedback(_session, await RunIdAsync(), positive: true);
        var cut = Render<SavedExamples>(p => p.Add(c => c.SourceId, "demo"));
        Assert.Empty(cut.FindAll("#examples"));
        cut.Find("#examples-card summary").Click();
        Assert.Equal("Yours (1)", cut.FindAll("#examples h3")[1].TextContent);
        Assert.Contains("Studies per phase? — saved by ana@example.org", cut.Find("#examples li").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void TeachTerm_TeachesAValueOfAColumn_ForThisUserOnly()
    {
        Services();
        string? note = null;
        var cut = Render<TeachTerm>(p => p.Add(c => c.SourceId, "demo").Add(c => c.Words, ["dermatology"]).Add(c => c.OnTaught, n => note = n));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#teach-column option")));
        cut.Find("#teach-column").Change("condition");
        cut.Find("#teach-values").Change(new[] { "Melanoma", "Psoriasis" });
        cut.Find("#teach").Submit();

        cut.WaitForAssertion(() => Assert.NotNull(note));
        Assert.Equal("“dermatology” now means condition is one of Melanoma, Psoriasis (for your questions, until an admin shares it).", note);
        Assert.Equal([Actions.TeachTerm], _tracker.Actions);
    }

    [Fact]
    public async Task GlossaryPanel_ListsTaughtAndShippedTerms_AndTheTeacherMayRemoveTheirOwn()
    {
        Services();
        var glossary = _bunit.Services.GetRequiredService<GlossaryService>();
        Assert.True((await glossary.TeachAsync(_session, "demo", "dermatology", "condition", ["Melanoma", "Psoriasis"], CancellationToken.None)).Done);
        _tracker.Clear();
        var cut = Render<GlossaryPanel>(p => p.Add(c => c.SourceId, "demo"));
        Assert.Empty(cut.FindAll("#glossary"));
        cut.Find("#glossary-card summary").Click();
        cut.WaitForAssertion(() => Assert.Equal("Taught in the app (1)", cut.FindAll("#glossary h3")[0].TextContent));
        var taught = cut.Find("#glossary li");
        Assert.Equal("dermatology — condition is one of Melanoma, Psoriasis (taught by ana@example.org, not shared yet)", taught.QuerySelector("span")!.TextContent);
        Assert.StartsWith("Shipped and in the glossary file (", cut.FindAll("#glossary h3")[1].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(cut.FindAll("#glossary li button"), b => b.TextContent == "Share with everyone");

        cut.FindAll("#glossary li button").Single(b => b.TextContent == "Remove").Click();
        cut.WaitForAssertion(() => Assert.Equal("Removed “dermatology”.", cut.Find("#glossary-message").TextContent));
        Assert.Equal("Taught in the app (0)", cut.FindAll("#glossary h3")[0].TextContent);
    }

    [Fact]
    public void AFailingComponent_ShowsOneSentence_AndIsTrackedAsAppError_WithoutTheCircuitDying()
    {
        _bunit.AddAuthorization().SetAuthorized("ana@example.org");
        Services();
        var cut = _bunit.Render<UsageTracking.QueryApp.Components.Layout.AppErrorBoundary>(p => p.AddChildContent<Failing>());
        Assert.Equal("Something went wrong on the server; the details were logged. Try again", cut.Find("p[role=alert]").TextContent);
        var error = Assert.Single(_tracker.Events);
        Assert.Equal((Actions.AppError, true, "ana@example.org"), (error.Action, error.IsError, error.User));
        Assert.Equal("InvalidOperationException: the component could not render", error.Detail);
        Assert.Equal(true, error.Properties!["circuit"]);
        Assert.DoesNotContain("   at ", cut.Markup, StringComparison.Ordinal);
    }

    /// <summary>A component that fails as it renders.</summary>
    private sealed class Failing : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("the component could not render");
    }

    private static GeneratedQuery Generated() =>
        new("Studies per phase?", new GenerateReply(Sql, "offline", null, false, ["phase", "status", "country"]) { Interpretation = "count of studies · by phase" });

    /// <summary>A fake chat model (no model runs here): answers every call with <c>answer</c> and records the prompts.</summary>
    private sealed class FakeChatClient(Func<IList<ChatMessage>, ChatResponse> answer) : IChatClient
    {
        public List<IList<ChatMessage>> Calls { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            Calls.Add(list);
            return Task.FromResult(answer(list));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The app does not stream.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
