using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Analytics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>The dashboard's query layer on each store, against answers worked out by hand.</summary>
public abstract partial class StoreContractTests
{
    // Monday 2 March 2026 and Tuesday 3 March 2026, UTC; "now" is Tuesday 21:30.
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Monday.AddDays(1).AddHours(21).AddMinutes(30);

    private async Task<StoreUnderTest> FixedDashboardDataAsync()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        UsageEvent E(string user, string action, DateTimeOffset at, string? session = null, double? ms = null, bool error = false, string app = "contract") =>
            Event(user, action, at, app, b => { b.SessionId = session; b.DurationMs = ms; b.IsError = error; });
        await store.WriteBatchAsync(
        [
            E("ann@example.com", Actions.GenerateQuestion, Monday.AddHours(9).AddMinutes(30), "s1", 100),
            E("ann@example.com", Actions.SqlQuery, Monday.AddHours(9).AddMinutes(31), "s1", 200),
            E("ann@example.com", Actions.EditSql, Monday.AddHours(9).AddMinutes(32), "s1", 50),
            E("ann@example.com", Actions.ExecuteSql, Monday.AddHours(9).AddMinutes(33), "s1", 1000),
            E("bob@example.com", Actions.GenerateQuestion, Monday.AddHours(10).AddMinutes(5), "s2", 300),
            E("bob@example.com", Actions.SqlError, Monday.AddHours(10).AddMinutes(6), "s2", error: true),
            E("ann@example.com", Actions.ExecuteSql, Monday.AddDays(1).AddHours(9), "s3", 400),
            E("ann@example.com", Actions.DownloadResults, Monday.AddDays(1).AddHours(9).AddMinutes(10), "s3", 20),
            E("cid@example.com", Actions.DatabaseError, Monday.AddDays(1).AddHours(21), "s4", error: true),
            Event("cid@example.com", Actions.TokenUsage, Monday.AddDays(1).AddHours(21).AddMinutes(5), more: b =>
            {
                b.Model = "gpt-4o-mini";
                b.InputTokens = 1000;
                b.OutputTokens = 200;
                b.CostUsd = 0.5m;
                b.DurationMs = 2000;
                b.PropertiesJson = """{"ttft_ms":350}""";
            }),
            E("dan@example.com", Actions.ExecuteSql, Monday.AddDays(-10)),
            E("eve@example.com", Actions.ExecuteSql, Monday.AddDays(1).AddHours(9), app: "other-app"),
        ], default);
        return store;
    }

    [Fact]
    public async Task Dashboard_OnFixedData_MatchesHandComputedAnswers()
    {
        var store = await FixedDashboardDataAsync();
        var dashboard = await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetDashboardAsync(new DashboardQuery(Monday, Now.AddTicks(1), "contract"));
        var k = dashboard.Kpis;

        Assert.Equal((2L, 3L, 4L), (k.ActiveUsersDay, k.ActiveUsersWeek, k.ActiveUsersMonth));
        Assert.Equal((4L, 10L, 2L), (k.EventsToday, k.Events, k.Errors));
        Assert.Equal(0.2, k.ErrorRate, 9);
        // Durations 20, 50, 100, 200, 300, 400, 1000 and the model call's 2000: nearest rank gives p50 = 200,
        // p95 = p99 = 2000 (histogram: within 5 %); the mean, exact, is 4070 / 8.
        Assert.Equal(200, k.DurationP50!.Value, 200 * 0.05);
        Assert.Equal(2000, k.DurationP95!.Value, 2000 * 0.05);
        Assert.Equal(2000, k.DurationP99!.Value, 2000 * 0.05);
        Assert.Equal(508.8, k.DurationAverage);
        Assert.Equal((1000L, 200L, 0.5m), (k.InputTokens, k.OutputTokens, k.CostUsd));
        // One call of 2 s that wrote 200 tokens, its first after 350 ms: 2000 ms mean latency, 100 tokens a second, 350 ms to first token.
        Assert.Equal([new ModelUsage("gpt-4o-mini", 1, 1000, 200, 0.5m) { AverageLatencyMs = 2000, OutputTokensPerSecond = 100, AverageTimeToFirstTokenMs = 350 }],
            dashboard.Models);

        // Response time per hour: Monday 9h 50/100/200/1000 (mean 337.5, p50 100, p95 1000); Monday 10h 300 (the error had
        // none); Tuesday 9h 400 and 20 (mean 210); Tuesday 21h the model call's 2000.
        Assert.Equal([Monday.AddHours(9), Monday.AddHours(10), Monday.AddDays(1).AddHours(9), Monday.AddDays(1).AddHours(21)], dashboard.ResponseTimeOverTime.Select(p => p.At));
        Assert.Equal([337.5, 300, 210, 2000], dashboard.ResponseTimeOverTime.Select(p => p.Average!.Value));
        Assert.Equal(100, dashboard.ResponseTimeOverTime[0].P50!.Value, 100 * 0.05);
        Assert.Equal(1000, dashboard.ResponseTimeOverTime[0].P95!.Value, 1000 * 0.05);
        Assert.Equal(400, dashboard.ResponseTimeOverTime[2].P99!.Value, 400 * 0.05);
        Assert.Equal([0m, 0m, 0m, 0.5m], dashboard.CostOverTime.Select(p => p.CostUsd));
        Assert.Equal(dashboard.EventsOverTime.Select(p => p.At), dashboard.CostOverTime.Select(p => p.At));

        Assert.Equal([(Monday, 2L), (Monday.AddDays(1), 2L)], dashboard.DailyActiveUsers.Select(p => (p.At, p.Value)));
        Assert.Equal("hour", dashboard.TimeUnit);
        Assert.Equal([(Monday.AddHours(9), 4L), (Monday.AddHours(10), 2L), (Monday.AddDays(1).AddHours(9), 2L), (Monday.AddDays(1).AddHours(21), 2L)],
            dashboard.EventsOverTime.Select(p => (p.At, p.Value)));
        Assert.Equal(
            [("execute_sql", 2L), ("generate_question", 2L), ("database_error", 1L), ("download_results", 1L), ("edit_sql", 1L), ("sql_error", 1L), ("sql_query", 1L), ("token_usage", 1L)],
            dashboard.PopularActions.Select(a => (a.Name, a.Count)));
        Assert.Equal([new ErrorPoint(Monday.AddHours(10), "sql_error", 1), new ErrorPoint(Monday.AddDays(1).AddHours(21), "database_error", 1)], dashboard.ErrorsOverTime);
        Assert.Equal(4, dashboard.Heatmap[0][9]);
        Assert.Equal(2, dashboard.Heatmap[0][10]);
        Assert.Equal(2, dashboard.Heatmap[1][9]);
        Assert.Equal(2, dashboard.Heatmap[1][21]);
        Assert.Equal(10, dashboard.Heatmap.Sum(day => day.Sum()));
        Assert.Equal([new UserActivity("ann@example.com", 6, 0), new UserActivity("bob@example.com", 2, 1), new UserActivity("cid@example.com", 2, 1)], dashboard.TopUsers);
        Assert.Equal([2L, 1L, 1L, 2L, 1L], dashboard.Funnel.Select(f => f.Sessions));
        if (dashboard.Table is { } table)
        {
            Assert.Equal(11, table.Rows);
            Assert.Equal(Monday.AddDays(-10), table.Oldest);
        }
    }

    private static UsageEvent ChatEvent(string action, DateTimeOffset at, string conversation, int? length = null, string user = "ann@example.com", string? properties = null) =>
        Event(user, action, at, "chat", b =>
        {
            b.SessionId = conversation;
            b.PropertiesJson = properties ?? (length is { } n ? $$"""{"message_length":{{n}},"channel_id":"C1"}""" : null);
        });

    private async Task<StoreUnderTest> FixedConversationDataAsync()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        static UsageEvent E(string action, DateTimeOffset at, string conversation, int? length = null, string? properties = null) =>
            ChatEvent(action, at, conversation, length, properties: properties);
        await store.WriteBatchAsync(
        [
            E(Actions.NewConversation, Monday.AddHours(8), "c1", 20), E(Actions.NewReply, Monday.AddHours(8).AddMinutes(1), "c1", 60),
            E(Actions.NewReply, Monday.AddHours(8).AddMinutes(2), "c1", 250), E(Actions.ThumbsUp, Monday.AddHours(8).AddMinutes(3), "c1"),
            E(Actions.NewConversation, Monday.AddHours(15), "c2", 1200), E(Actions.NewReply, Monday.AddHours(15).AddMinutes(5), "c2", 40),
            // A length that is not a number counts as a reply and nowhere else.
            E(Actions.NewReply, Monday.AddHours(15).AddMinutes(3), "c2", properties: """{"message_length":"long"}"""),
            E(Actions.ThumbsDown, Monday.AddHours(15).AddMinutes(6), "c2"),
            E(Actions.NewConversation, Monday.AddDays(1).AddHours(10), "c3", 10), E(Actions.NewReply, Monday.AddDays(1).AddHours(10).AddMinutes(1), "c3", 199),
            E(Actions.ThumbsUp, Monday.AddDays(1).AddHours(10).AddMinutes(3), "c3"),
            Event("ann@example.com", Actions.NewConversation, Monday.AddDays(1).AddHours(11), "other-chat", b => b.SessionId = "elsewhere"),
        ], default);
        // The rest of c3 arrives in a later batch: its conversation is widened, not counted again.
        await store.WriteBatchAsync(
        [
            E(Actions.NewReply, Monday.AddDays(1).AddHours(10).AddMinutes(2), "c3", 501), E(Actions.ThumbsUp, Monday.AddDays(1).AddHours(11), "c3"),
        ], default);
        return store;
    }

    [Fact]
    public async Task Dashboard_Conversations_CountStartsRepliesThumbsDurationsAndLengths()
    {
        var store = await FixedConversationDataAsync();
        var dashboard = await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetDashboardAsync(new DashboardQuery(Monday, Now.AddTicks(1), "chat"));

        // Three conversations (two on Monday), six replies, three thumbs up and one down; the other app's not counted.
        var c = dashboard.Conversations;
        Assert.Equal([(Monday, 2L), (Monday.AddDays(1), 1L)], c.PerDay.Select(p => (p.At, p.Value)));
        Assert.Equal((3L, 6L, 3L, 1L), (c.Conversations, c.Replies, c.ThumbsUp, c.ThumbsDown));
        Assert.Equal(2, c.RepliesPerConversation);
        Assert.Equal(0.75, c.Satisfaction);

        // First message to last (thumbs are not messages): c1 120 s, c2 300 s, c3 120 s across its two batches; mean 180 s.
        Assert.Equal([("under 1 min", 0L), ("1–5 min", 2L), ("5–15 min", 1L), ("15–60 min", 0L), ("1 h or more", 0L)], c.Durations.Select(d => (d.Name, d.Count)));
        Assert.Equal(180, c.AverageDurationSeconds);

        // Lengths 20, 40, 10 | 60, 199 | 250 | 501 | 1200: 2,280 characters over 8 messages.
        Assert.Equal([("under 50", 3L), ("50–199", 2L), ("200–499", 1L), ("500–999", 1L), ("1,000 or more", 1L)], c.MessageLengths.Select(m => (m.Name, m.Count)));
        Assert.Equal(285, c.AverageMessageLength);
    }

    [Fact]
    public async Task Dashboard_Conversations_ErasingAUser_RecountsTheConversationsTheyWroteIn()
    {
        var store = await FixedConversationDataAsync();
        // Bob replied in c2 twenty minutes in, and opened a conversation of his own.
        await store.WriteBatchAsync(
        [
            ChatEvent(Actions.NewReply, Monday.AddHours(15).AddMinutes(20), "c2", 30, user: "bob@example.com"),
            ChatEvent(Actions.NewConversation, Monday.AddHours(16), "c4", 30, user: "bob@example.com"),
        ], default);
        var query = new DashboardQuery(Monday, Now.AddTicks(1), "chat");
        var before = (await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetDashboardAsync(query)).Conversations;
        // c4 is one message (0 s); c2 now runs to Bob's reply, 1,200 s.
        Assert.Equal([1L, 2L, 0L, 1L, 0L], before.Durations.Select(d => d.Count));

        await store.DeleteUsersAsync(["bob@example.com"], default);
        var after = (await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetDashboardAsync(query)).Conversations;

        // c4 is gone and c2 ends at its own last message again: 300 s, as before Bob wrote.
        Assert.Equal([0L, 2L, 1L, 0L, 0L], after.Durations.Select(d => d.Count));
        Assert.Equal(180, after.AverageDurationSeconds);
        Assert.Equal(8, after.MessageLengths.Sum(m => m.Count));
    }

    [Fact]
    public async Task ConfiguredFunnels_CountTheirStepsForTheirApp_BySessionOrByUser()
    {
        var store = NewStore();
        await store.EnsureSchemaAsync(true, default);
        UsageEvent Bot(string user, string action, int hour, string? channel = null) =>
            Event(user, action, Monday.AddHours(hour), "csbot", b => b.PropertiesJson = channel is null ? null : $$"""{"channel_id":"{{channel}}"}""");
        await store.WriteBatchAsync(
        [
            // Ann goes all the way; Ben stops after the connection (tracked twice: counted once); a channel's dataset sync
            // tracked without a user counts that channel; Cy only signs up.
            Bot("ann@example.com", Actions.OrganizationCreated, 8), Bot("ann@example.com", Actions.ConnectionSetupSucceeded, 9),
            Bot("ann@example.com", Actions.FirstDatasetSync, 10), Bot("ann@example.com", Actions.FirstSuccessfulQuery, 11),
            Bot("ben@example.com", Actions.OrganizationCreated, 8), Bot("ben@example.com", Actions.ConnectionSetupSucceeded, 9),
            Bot("ben@example.com", Actions.ConnectionSetupSucceeded, 10), Bot("", Actions.FirstDatasetSync, 12, channel: "C-ben"),
            Bot("cy@example.com", Actions.OrganizationCreated, 13),
            Bot("cy@example.com", Actions.ExecuteSql, 14),
            Event("dan@example.com", Actions.OrganizationCreated, Monday.AddHours(9), "other-bot"),
            Event("ann@example.com", Actions.GenerateQuestion, Monday.AddHours(9), "csbot", b => b.SessionId = "s1"),
            Event("ann@example.com", Actions.ExecuteSql, Monday.AddHours(9).AddMinutes(1), "csbot", b => b.SessionId = "s1"),
            Event("ann@example.com", Actions.GenerateQuestion, Monday.AddHours(10), "csbot", b => b.SessionId = "s2"),
        ], default);
        FunnelDefinition[] funnels =
        [
            new() { Name = "Onboarding", App = "csbot", CountBy = FunnelUnit.User,
                    Steps = [Actions.OrganizationCreated, Actions.ConnectionSetupSucceeded, Actions.FirstDatasetSync, Actions.FirstSuccessfulQuery] },
            new() { Name = "Ask and run", Steps = [Actions.GenerateQuestion, Actions.ExecuteSql] },
            new() { Name = "Not this app's", App = "query-app", Steps = [Actions.GenerateQuestion, Actions.ExecuteSql] },
        ];
        var analytics = new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now), funnels);
        var dashboard = await analytics.GetDashboardAsync(new DashboardQuery(Monday, Now.AddTicks(1), "csbot"));

        Assert.Equal(["Onboarding", "Ask and run"], dashboard.Funnels.Select(f => f.Name));
        Assert.Equal([3L, 2L, 2L, 1L], dashboard.Funnels[0].Steps.Select(s => s.Count));
        Assert.Equal([(1, Actions.OrganizationCreated), (2, Actions.ConnectionSetupSucceeded)], dashboard.Funnels[0].Steps.Take(2).Select(s => (s.Step, s.Action)));
        Assert.Equal(FunnelUnit.Session, dashboard.Funnels[1].CountBy);
        Assert.Equal([2L, 1L], dashboard.Funnels[1].Steps.Select(s => s.Count));

        // The reader's action filter on its own: only those actions, in time order.
        var read = new List<string>();
        await foreach (var e in store.Reader.ReadEventsAsync(new UsageQuery(Monday, Now, "csbot") { Actions = [Actions.FirstDatasetSync, Actions.ExecuteSql] }, default))
        {
            read.Add(e.Action);
        }

        Assert.Equal([Actions.ExecuteSql, Actions.FirstDatasetSync, Actions.FirstDatasetSync, Actions.ExecuteSql], read);
    }

    [Fact]
    public async Task ConfiguredFunnels_CountedByTheStoreAsItWrites_EqualTheCountsFromTheirEvents()
    {
        FunnelDefinition[] funnels =
        [
            new() { Name = "Onboarding", App = "csbot", CountBy = FunnelUnit.User,
                    Steps = [Actions.OrganizationCreated, Actions.ConnectionSetupSucceeded, Actions.FirstDatasetSync, Actions.FirstSuccessfulQuery] },
            new() { Name = "Ask and run", Steps = [Actions.GenerateQuestion, Actions.ExecuteSql] },
        ];
        var store = Resolve(services =>
        {
            services.Configure<UsageTrackingOptions>(o => o.Funnels = [.. funnels]);
            AddStore(services, Table);
        });
        await store.EnsureSchemaAsync(true, default);
        UsageEvent Bot(string user, string action, DateTimeOffset at, string? channel = null) =>
            Event(user, action, at, "csbot", b => b.PropertiesJson = channel is null ? null : $$"""{"channel_id":"{{channel}}"}""");
        UsageEvent Ask(string action, DateTimeOffset at, string session) => Event("ann@example.com", action, at, "csbot", b => b.SessionId = session);
        await store.WriteBatchAsync(
        [
            // Ann goes all the way (and creates a second organization on Tuesday: still one user); Ben stops after the
            // connection; a channel's dataset sync tracked without a user counts that channel; Cy only signs up.
            Bot("ann@example.com", Actions.OrganizationCreated, Monday.AddHours(8)), Bot("ann@example.com", Actions.ConnectionSetupSucceeded, Monday.AddHours(9)),
            Bot("ann@example.com", Actions.FirstDatasetSync, Monday.AddHours(10)), Bot("ann@example.com", Actions.FirstSuccessfulQuery, Monday.AddHours(11)),
            Bot("ann@example.com", Actions.OrganizationCreated, Monday.AddDays(1).AddHours(8)),
            Bot("ben@example.com", Actions.OrganizationCreated, Monday.AddHours(8)), Bot("ben@example.com", Actions.ConnectionSetupSucceeded, Monday.AddHours(9)),
            Bot("", Actions.FirstDatasetSync, Monday.AddHours(12), channel: "C-ben"), Bot("cy@example.com", Actions.OrganizationCreated, Monday.AddHours(13)),
            Event("dan@example.com", Actions.OrganizationCreated, Monday.AddHours(9), "other-bot"),
            // Sessions count once a day: s1 asks on both days; s3 asks before midnight and runs after it.
            Ask(Actions.GenerateQuestion, Monday.AddHours(9), "s1"), Ask(Actions.ExecuteSql, Monday.AddHours(9).AddMinutes(1), "s1"),
            Ask(Actions.GenerateQuestion, Monday.AddHours(10), "s2"), Ask(Actions.GenerateQuestion, Monday.AddHours(23).AddMinutes(50), "s3"),
            Ask(Actions.ExecuteSql, Monday.AddDays(1).AddMinutes(10), "s3"), Ask(Actions.GenerateQuestion, Monday.AddDays(1).AddHours(8), "s1"),
        ], default);
        var range = new UsageQuery(Monday.AddHours(7), Now.AddTicks(1), "csbot");
        long[][] expected = [[3, 2, 2, 1], [4, 2]];

        var fromEvents = new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now));
        var byStore = new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now), funnels, store.FunnelCounts);
        for (var i = 0; i < funnels.Length; i++)
        {
            Assert.Equal(expected[i], (await fromEvents.CountFunnelAsync(funnels[i], range)).Steps.Select(s => s.Count));
            Assert.Equal(expected[i], (await byStore.CountFunnelAsync(funnels[i], range)).Steps.Select(s => s.Count));
            if (store.FunnelCounts is { } counts)
            {
                // A store that offers the capability answers for the funnels it was configured with (whole days of the range).
                var own = await counts.CountFunnelAsync(funnels[i], range with { Since = Monday, Until = Monday.AddDays(2) }, default);
                Assert.NotNull(own);
                Assert.Equal(expected[i], own.Select(s => s.Count));
            }
        }

        // A funnel the store was not configured with is left to the events.
        var other = new FunnelDefinition { Name = "Other", Steps = [Actions.SqlQuery, Actions.EditSql] };
        if (store.FunnelCounts is { } anyCounts && await anyCounts.CountFunnelAsync(other, range, default) is { } answered)
        {
            Assert.Equal([0L, 0L], answered.Select(s => s.Count));
        }
    }

    [Fact]
    public async Task Dashboard_ForOneUser_CountsOnlyTheirEvents()
    {
        var store = await FixedDashboardDataAsync();
        var dashboard = await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetDashboardAsync(new DashboardQuery(Monday, Now.AddTicks(1), "contract", "bob@example.com"));
        Assert.Equal((2L, 1L), (dashboard.Kpis.Events, dashboard.Kpis.Errors));
        Assert.Equal([new UserActivity("bob@example.com", 2, 1)], dashboard.TopUsers);
    }

    [Fact]
    public async Task Live_CountsTodayAndListsTheNewestFirst()
    {
        var store = await FixedDashboardDataAsync();
        var live = await new UsageAnalytics(store.Reader, store.Aggregates, new FixedTime(Now)).GetLiveAsync("contract", latest: 3);
        Assert.Equal((4L, 1L), (live.EventsToday, live.ErrorsToday));
        Assert.Equal(0.25, live.ErrorRateToday);
        // Today: ann (two events) and cid (two); the current hour (21:00–21:30) holds cid's two: 2 ÷ 30 minutes.
        Assert.Equal(2, live.ActiveUsersToday);
        Assert.Equal(Math.Round(2 / 30.0, 2), live.EventsPerMinute);
        Assert.Equal([Actions.TokenUsage, Actions.DatabaseError, Actions.DownloadResults], live.Latest.Select(e => e.Action));
    }
}
