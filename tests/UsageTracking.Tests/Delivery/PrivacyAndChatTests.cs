using System.Text.Json;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>Chatbot events, user enrichment, privacy settings and erasure, on real SQLite files.</summary>
public sealed class PrivacyAndChatTests : IDisposable
{
    private const string Key = "a-test-key-of-sufficient-length";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // The rows of the tracker's own SQLite file, read back through a reader of its own.
    private static async Task<List<UsageEvent>> RowsAsync(UsageTracker tracker) =>
        await new UsageTracking.Sqlite.SqliteUsageStore(tracker.Options.ConnectionString!).ReadEventsAsync(new UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)), default).ToListAsync();

    [Fact]
    public void TheCsbotCatalogue_HasAConstantForEveryEventType()
    {
        // The earlier Slack bot's event types (../shared/seeds/000), as its analyses query them.
        string[] csbot =
        [
            "new_conversation", "new_reply", "user_joined_channel", "token_usage", "thumbs_up", "thumbs_down", "organization_created",
            "governance_channel_created", "first_dataset_sync", "additional_channel_created", "admin_command_used",
            "connection_management_accessed", "contextstore_repo_created", "slack_connect_invite_sent", "first_successful_query",
            "welcome_message_sent", "governance_welcome_sent", "connection_setup_succeeded", "coworker_invited", "slack_modal_interaction",
        ];
        Assert.Empty(csbot.Except(Actions.All));
        Assert.Equal(Actions.All.Count, Actions.All.Distinct().Count());
        Assert.All(Enum.GetValues<OnboardingStep>(), step => Assert.Contains(ChatEvents.ActionOf(step), Actions.All));
    }

    [Fact]
    public async Task OnboardingAndChannelEvents_CarryChannelThreadAndMessage_AsFirstClassProperties()
    {
        await using var tracker = Tracking.Create(_folder);
        tracker.TrackChannelJoined("ann@example.com", "C042");
        tracker.TrackOnboardingStep(OnboardingStep.OrganizationCreated, "ann@example.com", properties: new Dictionary<string, object?> { ["organization_industry"] = "pharma" });
        tracker.TrackOnboardingStep(OnboardingStep.FirstDatasetSync, channelId: "C001");
        tracker.TrackAdminCommand("boss@example.com", "C001", "/connections");
        tracker.TrackModalInteraction("ann@example.com", "C042", "connection_setup", "submit");
        tracker.TrackChatEvent(Actions.FirstSuccessfulQuery, "ann@example.com", "C042", threadId: "1700000000.000100", messageId: "1700000000.000200");
        await tracker.FlushAsync();

        var rows = (await RowsAsync(tracker)).ToDictionary(r => r.Action);
        Assert.Equal("C042", Json(rows[Actions.UserJoinedChannel]).GetProperty(ChatProperties.ChannelId).GetString());
        Assert.Equal("pharma", Json(rows[Actions.OrganizationCreated]).GetProperty("organization_industry").GetString());
        Assert.Equal("C001", Json(rows[Actions.FirstDatasetSync]).GetProperty(ChatProperties.ChannelId).GetString());
        Assert.Equal("/connections", Json(rows[Actions.AdminCommandUsed]).GetProperty("command").GetString());
        Assert.Equal("submit", Json(rows[Actions.SlackModalInteraction]).GetProperty("interaction").GetString());
        var query = rows[Actions.FirstSuccessfulQuery];
        Assert.Equal("1700000000.000200", Json(query).GetProperty(ChatProperties.MessageId).GetString());
        // The thread is the conversation: conversation analyses group by session_id.
        Assert.Equal("1700000000.000100", query.SessionId);
    }

    [Fact]
    public async Task ChatEvents_CarrySessionLengthFeedbackAndTokens_NeverContent()
    {
        await using var tracker = Tracking.Create(_folder);
        tracker.TrackNewConversation("ann@example.com", "conv-1", messageLength: 42);
        tracker.TrackNewReply("ann@example.com", "conv-1", messageLength: 7, new Dictionary<string, object?> { ["channel"] = "C123" });
        tracker.TrackFeedback("ann@example.com", "conv-1", "msg-9", positive: false);
        tracker.TrackTokenUsage("ann@example.com", "claude-3-5-haiku", 1_200, 300, cacheReadTokens: 800, cacheCreationTokens: 100, sessionId: "conv-1", costUsd: 0.0021m);
        await tracker.FlushAsync();

        var rows = (await RowsAsync(tracker)).ToDictionary(r => r.Action);
        Assert.All(rows.Values, r => Assert.Equal("conv-1", r.SessionId));
        Assert.Equal(42, Json(rows[Actions.NewConversation]).GetProperty("message_length").GetInt32());
        Assert.Equal("C123", Json(rows[Actions.NewReply]).GetProperty("channel").GetString());
        Assert.Equal("msg-9", Json(rows[Actions.ThumbsDown]).GetProperty("message_id").GetString());
        var tokens = rows[Actions.TokenUsage];
        Assert.Equal(("claude-3-5-haiku", 1_200L, 300L, 0.0021m), (tokens.Model, tokens.InputTokens!.Value, tokens.OutputTokens!.Value, tokens.CostUsd!.Value));
        Assert.Equal(800, Json(tokens).GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(100, Json(tokens).GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(2_400, Json(tokens).GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task UnitCosts_ArePricedFromTheirUnit_AndAnUnpricedOrOddOneIsStillKept()
    {
        await using var tracker = Tracking.Create(_folder, o => (o.UnitPrices["sms_segment"], o.UnitPrices["page"]) = (0.0079m, 2m));
        tracker.TrackUnitCost("ann@example.com", "sms_sent", "sms_segment", 3);
        tracker.TrackUnitCost("ann@example.com", "call_made", "voice_minute", 12);
        tracker.TrackUnitCost("ann@example.com", "sms_sent", "sms_segment", 2, costUsd: 0.05m);
        tracker.TrackUnitCost("ann@example.com", "page_rendered", "page", decimal.MaxValue);
        tracker.TrackUserAction("ann@example.com", "odd", null, null, new Dictionary<string, object?> { ["unit"] = "sms_segment", ["quantity"] = "lots" });
        Assert.True((await tracker.FlushAsync()).Completed);

        var rows = await RowsAsync(tracker);
        Assert.Equal(5, rows.Count);
        Assert.Null(rows.Single(r => r.Action == "page_rendered").CostUsd);
        Assert.Equal([0.0237m, 0.05m], rows.Where(r => r.Action == "sms_sent" && r.CostUsd is not null).Select(r => r.CostUsd!.Value).Order());
        Assert.Null(rows.Single(r => r.Action == "call_made").CostUsd);
        Assert.Null(rows.Single(r => r.Action == "odd").CostUsd);
        Assert.Equal(12, Json(rows.Single(r => r.Action == "call_made")).GetProperty("quantity").GetDecimal());
        Assert.Equal("voice_minute", Json(rows.Single(r => r.Action == "call_made")).GetProperty("unit").GetString());
        Assert.DoesNotContain(tracker.GetHealth().Dropped, d => d.Value > 0);
    }

    [Fact]
    public async Task TokenUsageExtras_AreStoredUnderTheEarlierBotsKeys()
    {
        await using var tracker = Tracking.Create(_folder);
        tracker.TrackTokenUsage("ann@example.com", "claude-sonnet-4", 500, 120, cacheCreationTokens: 300,
            extras: new TokenUsageExtras(CacheCreation5mTokens: 200, CacheCreation1hTokens: 100, ServiceTier: "priority", WebSearchRequests: 2));
        tracker.TrackTokenUsage("ann@example.com", "gpt-4o-mini", 10, 5);
        await tracker.FlushAsync();

        var rows = await RowsAsync(tracker);
        var full = Json(rows.Single(r => r.Model == "claude-sonnet-4"));
        Assert.Equal(200, full.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt64());
        Assert.Equal(100, full.GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt64());
        Assert.Equal("priority", full.GetProperty("service_tier").GetString());
        Assert.Equal(2, full.GetProperty("server_tool_use").GetProperty("web_search_requests").GetInt64());
        var plain = Json(rows.Single(r => r.Model == "gpt-4o-mini"));
        Assert.False(plain.TryGetProperty("service_tier", out _));
        Assert.False(plain.TryGetProperty("cache_creation", out _));
    }

    [Fact]
    public async Task UserEnricher_StoresUserInfo_AndIsAskedOncePerUserWithinTheCache()
    {
        var enricher = new DirectoryEnricher();
        await using var tracker = Tracking.Create(_folder, o => o.UserEnricher = enricher);
        for (var i = 0; i < 5; i++)
        {
            tracker.TrackUserAction("ann@example.com", Actions.AppStart);
            await tracker.FlushAsync();
        }

        tracker.TrackUserAction("unknown@example.com", Actions.AppStart);
        await tracker.FlushAsync();

        var rows = await RowsAsync(tracker);
        var info = Json(rows.First(r => r.User == "ann@example.com")).GetProperty("user_info");
        Assert.Equal(("Ann Example", "Europe/Paris", "ann@example.com"), (info.GetProperty("real_name").GetString(), info.GetProperty("timezone").GetString(), info.GetProperty("email").GetString()));
        Assert.Null(rows.Single(r => r.User == "unknown@example.com").PropertiesJson);
        Assert.Equal(1, enricher.Calls("ann@example.com"));
        // Account attributes travel as the earlier bot's user_metadata; what is unknown is left out.
        var metadata = Json(rows.First(r => r.User == "ann@example.com")).GetProperty("user_metadata");
        Assert.True(metadata.GetProperty("is_admin").GetBoolean());
        Assert.False(metadata.GetProperty("is_bot").GetBoolean());
        Assert.False(metadata.TryGetProperty("is_deleted", out _));
    }

    [Fact(Timeout = 30_000)]
    public async Task SlowOrFailingEnricher_NeverBlocksDelivery()
    {
        await using var tracker = Tracking.Create(_folder, o => o.UserEnricher = new HangingEnricher());
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        var result = await tracker.FlushAsync();
        Assert.Equal(1, result.Written);
        Assert.Null((await RowsAsync(tracker)).Single().PropertiesJson);
    }

    [Fact]
    public async Task HashedUsers_AreKeyedHashes_EverywhereIncludingTheSpool_AndNeverHashedTwice()
    {
        var down = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using (var tracker = Tracking.Create(_folder, o => { Hash(o); o.UserEnricher = new DirectoryEnricher(); o.RetryBudget = TimeSpan.Zero; }, down))
        {
            tracker.TrackUserAction("Ann@Example.com", Actions.AppStart);
            await tracker.FlushAsync();
        }

        var spooled = string.Concat(Directory.GetFiles(_folder.Spool, "*.jsonl").Select(File.ReadAllText));
        Assert.DoesNotContain("example.com", spooled, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Ann Example", spooled, StringComparison.Ordinal);

        await using var replay = Tracking.Create(_folder, Hash);
        Assert.True(await Tracking.EventuallyAsync(() => Tracking.Rows(_folder) == 1));
        replay.TrackUserAction("ann@example.com", Actions.ExecuteSql);
        await replay.FlushAsync();

        var rows = await RowsAsync(replay);
        var expected = new PrivacyOptions { HashUsers = true, HashKey = Key }.StoredUser("ann@example.com");
        Assert.All(rows, r => Assert.Equal(expected, r.User));
        Assert.Matches("^u_[0-9a-f]{32}$", expected);
        var info = Json(rows.Single(r => r.Action == Actions.AppStart)).GetProperty("user_info");
        Assert.Equal("Europe/Paris", info.GetProperty("timezone").GetString());
        Assert.False(info.TryGetProperty("email", out _));
        Assert.False(info.TryGetProperty("real_name", out _));
        Assert.Equal(1, (await replay.GetUsageStatsAsync()).DistinctUsers);
    }

    [Fact]
    public async Task RedactAndDropDetail_RemovePersonalDataFromFreeText()
    {
        await using (var tracker = Tracking.Create(_folder, o => o.Privacy.RedactFreeText = true))
        {
            tracker.TrackError("ann@example.com", Actions.SqlError, "no row for bob.smith@corp.example.org, account 12345678, id 42");
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql, "s", 1, new Dictionary<string, object?>
            {
                ["sql"] = "SELECT * FROM t WHERE email = 'eve@example.net' AND phone = '0612345678'",
                ["nested"] = new Dictionary<string, object?> { ["list"] = new[] { "zoe@example.com", "short 123" } },
            });
            await tracker.FlushAsync();
            var rows = (await RowsAsync(tracker)).ToDictionary(r => r.Action);
            Assert.Equal("no row for [email], account [number], id 42", rows[Actions.SqlError].Detail);
            var props = rows[Actions.ExecuteSql].PropertiesJson!;
            Assert.DoesNotContain("@", props, StringComparison.Ordinal);
            Assert.DoesNotContain("0612345678", props, StringComparison.Ordinal);
            Assert.Contains("short 123", props, StringComparison.Ordinal);
            Assert.Equal("ann@example.com", rows[Actions.SqlError].User);
        }

        using var other = new TempFolder();
        await using var dropping = Tracking.Create(other, o => o.Privacy.DropDetail = true);
        dropping.TrackError("ann@example.com", Actions.SqlError, "secret detail");
        await dropping.FlushAsync();
        Assert.Null((await RowsAsync(dropping)).Single().Detail);
    }

    [Fact]
    public void HashUsersWithoutAKey_FailsAtStartNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => Tracking.Create(_folder, o => o.Privacy.HashUsers = true));
        Assert.Contains("UsageTracking:Privacy:HashKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forget_ErasesTheUserFromStoreSpoolAndQuarantine_InRawAndHashedForms()
    {
        // Rows written before hashing was turned on, rows written after, a spooled event and a quarantined one.
        await using (var plain = Tracking.Create(_folder))
        {
            plain.TrackUserAction("ann@example.com", Actions.AppStart);
            plain.TrackUserAction("bob@example.com", Actions.AppStart);
            await plain.FlushAsync();
        }

        await using (var hashed = Tracking.Create(_folder, Hash))
        {
            hashed.TrackUserAction("ann@example.com", Actions.ExecuteSql);
            await hashed.FlushAsync();
        }

        var store = new FaultyStore(Tracking.Store(_folder)) { Reject = e => e.Action == "poison", FailUntil = DateTimeOffset.MaxValue };
        await using (var failing = Tracking.Create(_folder, o => { Hash(o); o.RetryBudget = TimeSpan.Zero; }, store))
        {
            failing.TrackUserAction("ann@example.com", Actions.EditSql);
            await failing.FlushAsync();
        }

        var quarantine = new FaultyStore(Tracking.Store(_folder)) { Reject = e => e.Action == "poison" };
        await using (var rejecting = Tracking.Create(_folder, o => { Hash(o); o.SpoolDirectory = _folder.File("other-spool"); }, quarantine))
        {
            rejecting.TrackUserAction("ann@example.com", "poison");
            await rejecting.FlushAsync();
        }

        var options = Tracking.Options(_folder, Hash);
        await using var sqlite = Tracking.Store(_folder);
        var result = await UsageErasure.ForgetAsync(options, sqlite, ["ann@example.com"]);

        Assert.Equal((2L, 1L, 0), (result.StoreRows, result.SpoolEvents, result.SpoolFilesInUse));
        Assert.Equal(1, Tracking.Rows(_folder));
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE user <> 'bob@example.com'"));
        Assert.DoesNotContain(Directory.GetFiles(_folder.Spool, "*.jsonl"), f => File.ReadAllText(f).Contains(options.Privacy.StoredUser("ann@example.com"), StringComparison.Ordinal));

        var otherSpool = Tracking.Options(_folder, o => { Hash(o); o.SpoolDirectory = _folder.File("other-spool"); });
        var second = await UsageErasure.ForgetAsync(otherSpool, sqlite, ["ann@example.com"]);
        Assert.Equal(1, second.SpoolEvents);
        Assert.Empty(File.ReadAllLines(Directory.GetFiles(Path.Combine(_folder.File("other-spool"), "quarantine")).Single()));
    }

    private static void Hash(UsageTrackingOptions o)
    {
        o.Privacy.HashUsers = true;
        o.Privacy.HashKey = Key;
    }

    private static JsonElement Json(UsageEvent e) => JsonDocument.Parse(e.PropertiesJson!).RootElement;

    private sealed class DirectoryEnricher : IUserEnricher
    {
        private readonly Dictionary<string, int> _calls = [];

        public int Calls(string user)
        {
            lock (_calls)
            {
                return _calls.GetValueOrDefault(user);
            }
        }

        public ValueTask<UserInfo?> EnrichAsync(string user, CancellationToken cancellationToken)
        {
            lock (_calls)
            {
                _calls[user] = _calls.GetValueOrDefault(user) + 1;
            }

            return ValueTask.FromResult(user.Equals("ann@example.com", StringComparison.OrdinalIgnoreCase)
                ? new UserInfo("Ann Example", "Europe/Paris", "ann@example.com") { Metadata = new UserMetadata(IsAdmin: true, IsBot: false) }
                : null);
        }
    }

    private sealed class HangingEnricher : IUserEnricher
    {
        public async ValueTask<UserInfo?> EnrichAsync(string user, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            return null;
        }
    }
}
