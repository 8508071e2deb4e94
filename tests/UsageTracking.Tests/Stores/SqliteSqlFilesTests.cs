using Microsoft.Data.Sqlite;
using UsageTracking.Analytics;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Stores;

/// <summary>The files in sql/sqlite stay true to the store: same schema, and every analysis runs.</summary>
public sealed class SqliteSqlFilesTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task CreateFile_DefinesTheSameTableAndIndexesAsTheStore()
    {
        var fromFile = _folder.File("file.db");
        Tracking.Execute(fromFile, File.ReadAllText(Repository.Path("sql", "sqlite", "001_create_central_app_usage.sql")));
        await using (var store = new SqliteUsageStore(_folder.File("store.db")))
        {
            await store.EnsureSchemaAsync(true, default);
        }

        Assert.Equal(Describe(_folder.File("store.db")), Describe(fromFile));
    }

    [Fact]
    public async Task RollupsFile_DefinesTheSameTablesAsTheStore()
    {
        var fromFile = _folder.File("rollups-file.db");
        Tracking.Execute(fromFile, File.ReadAllText(Repository.Path("sql", "sqlite", "001_create_central_app_usage.sql")));
        Tracking.Execute(fromFile, File.ReadAllText(Repository.Path("sql", "sqlite", "003_rollups.sql")));
        await using (var store = new SqliteUsageStore(_folder.File("rollups-store.db")))
        {
            await store.EnsureSchemaAsync(true, default);
        }

        foreach (var table in new[] { "hourly", "user_daily", "session_daily", "funnel_daily", "duration_hourly", "message_daily", "conversation", "step_user_daily", "rollup_state" })
        {
            Assert.Equal(Describe(_folder.File("rollups-store.db"), $"central_app_usage_{table}"), Describe(fromFile, $"central_app_usage_{table}"));
        }
    }

    [Fact]
    public async Task SeedTablePlusUpgradeFile_IsWhatTheStoreUpgradesTo()
    {
        var upgraded = _folder.File("upgraded.db");
        Tracking.Execute(upgraded, File.ReadAllText(Repository.Path("sql", "sqlite", "000_seed_table.sql")));
        Tracking.Execute(upgraded, File.ReadAllText(Repository.Path("sql", "sqlite", "002_upgrade_seed_table.sql")));
        var byStore = _folder.File("by-store.db");
        Tracking.Execute(byStore, File.ReadAllText(Repository.Path("sql", "sqlite", "000_seed_table.sql")));
        await using (var store = new SqliteUsageStore(byStore))
        {
            Assert.Equal(StoreSchemaMode.Extended, await store.EnsureSchemaAsync(true, default));
        }

        await using var check = new SqliteUsageStore(upgraded);
        Assert.Equal(StoreSchemaMode.Extended, await check.EnsureSchemaAsync(allowUpgrade: false, default));
        Assert.Equal(Describe(byStore), Describe(upgraded));
    }

    [Fact]
    public async Task EveryAnalysis_RunsOnGeneratedData_AndPopularActionsAgreesWithStats()
    {
        var output = new StringWriter();
        Assert.Equal(0, await UsageTracking.Cli.UsageCli.RunAsync(
            ["generate", "--events", "5000", "--users", "25", "--days", "10", "--connection", _folder.Database, "--spool-dir", _folder.Spool, "--app", "analyses"], output, output));

        // The error analysis looks at the last day only, which synthetic traffic can leave without errors (a quiet
        // weekend just after midnight): one error tracked now makes sure it has something to find.
        Assert.Equal(0, await UsageTracking.Cli.UsageCli.RunAsync(
            ["error", "--user", "ann@example.com", "--type", "sql_error", "--message", "no such column: x", "--connection", _folder.Database, "--spool-dir", _folder.Spool, "--app", "analyses"], output, output));

        // The synthetic traffic is the query app's; a few chatbot conversations give the chat analyses rows too.
        await using (var chat = new SqliteUsageStore(_folder.Database))
        {
            await chat.WriteBatchAsync(ChatSample.Events("analyses"), default);
        }

        foreach (var file in Directory.GetFiles(Repository.Path("sql", "sqlite", "analyses"), "*.sql"))
        {
            var rows = Query(file);
            Assert.True(rows.Count > 0, $"{System.IO.Path.GetFileName(file)} returned no rows");
        }

        await using var store = new SqliteUsageStore(_folder.Database);
        var stats = await new UsageAnalytics(store, store).GetStatsAsync(new UsageQuery(new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-7), TimeSpan.Zero), DateTimeOffset.UtcNow.AddSeconds(1), "analyses"));
        var popular = Query(Repository.Path("sql", "sqlite", "analyses", "popular_actions.sql"));
        Assert.Equal(stats.ByAction.Select(a => (a.Action, a.Count)).OrderBy(a => a.Action), popular.Select(r => ((string)r[0], (long)r[1])).OrderBy(a => a.Item1));
    }

    [Fact]
    public async Task TheOnboardingFunnel_CountsWhoReachedEachStep_AndTheShareOfTheStepBefore()
    {
        await using (var tracker = Tracking.Create(_folder, o => o.AppName = "analyses"))
        {
            // Ann goes all the way, Ben stops after the connection, Cy only signs up; a dataset sync tracked without a user counts its channel.
            foreach (var step in Enum.GetValues<OnboardingStep>())
            {
                tracker.TrackOnboardingStep(step, "ann@example.com");
            }

            tracker.TrackOnboardingStep(OnboardingStep.OrganizationCreated, "ben@example.com");
            tracker.TrackOnboardingStep(OnboardingStep.GovernanceChannelCreated, "ben@example.com");
            tracker.TrackOnboardingStep(OnboardingStep.ConnectionSetupSucceeded, "ben@example.com");
            tracker.TrackOnboardingStep(OnboardingStep.ConnectionSetupSucceeded, "ben@example.com");
            tracker.TrackOnboardingStep(OnboardingStep.FirstDatasetSync, channelId: "C-ben");
            tracker.TrackOnboardingStep(OnboardingStep.OrganizationCreated, "cy@example.com");
            Assert.True((await tracker.FlushAsync()).Completed);
        }

        var rows = Query(Repository.Path("sql", "sqlite", "analyses", "onboarding_funnel.sql"));
        Assert.Equal(
            [("organization_created", 3L), ("governance_channel_created", 2L), ("connection_setup_succeeded", 2L), ("first_dataset_sync", 2L),
             ("first_successful_query", 1L), ("coworker_invited", 1L)],
            rows.Select(r => ((string)r[1], (long)r[2])));
        Assert.Equal([null, 66.7, 100.0, 100.0, 50.0, 100.0], rows.Select(r => r[3] is DBNull ? (double?)null : Convert.ToDouble(r[3], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task TheChatAnalyses_MatchHandComputedAnswers()
    {
        var enricher = new TestDirectory();
        await using (var tracker = Tracking.Create(_folder, o => { o.AppName = "analyses"; o.UserEnricher = enricher; }))
        {
            // Ann (an admin, Paris) opens a conversation and replies twice, thumbs up; Ben (Tokyo) opens one, no reply,
            // thumbs down; Cy (Tokyo, owner) opens one and replies once.
            tracker.TrackNewConversation("ann@example.com", "c1", 30);
            tracker.TrackNewReply("ann@example.com", "c1", 120);
            tracker.TrackNewReply("ann@example.com", "c1", 250);
            tracker.TrackUserAction("ann@example.com", Actions.ThumbsUp, "c1");
            tracker.TrackNewConversation("ben@example.com", "c2", 45);
            tracker.TrackUserAction("ben@example.com", Actions.ThumbsDown, "c2");
            tracker.TrackNewConversation("cy@example.com", "c3", 600);
            tracker.TrackNewReply("cy@example.com", "c3", 10);
            Assert.True((await tracker.FlushAsync()).Completed);
        }

        var conversations = Assert.Single(Query(Repository.Path("sql", "sqlite", "analyses", "conversations.sql")));
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), conversations[0]);
        Assert.Equal((3L, 3L, 1.0, 50.0), ((long)conversations[1], (long)conversations[2], Convert.ToDouble(conversations[3], System.Globalization.CultureInfo.InvariantCulture),
            Convert.ToDouble(conversations[5], System.Globalization.CultureInfo.InvariantCulture)));

        // Lengths 30, 45, 10 short; 120 medium; 250, 600 long.
        Assert.Equal([("short", 3L, 28.3), ("long", 2L, 425.0), ("medium", 1L, 120.0)],
            Query(Repository.Path("sql", "sqlite", "analyses", "message_length.sql")).Select(r => ((string)r[0], (long)r[1], Convert.ToDouble(r[2], System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal([("Asia/Tokyo", 2L, 3L), ("Europe/Paris", 1L, 3L)],
            Query(Repository.Path("sql", "sqlite", "analyses", "timezones.sql")).Select(r => ((string)r[0], (long)r[1], (long)r[2])));
        Assert.Equal([(1L, 0L, 1L, 3L, 133.3), (0L, 1L, 1L, 2L, 305.0), (0L, 0L, 1L, 1L, 45.0)],
            Query(Repository.Path("sql", "sqlite", "analyses", "admin_activity.sql")).Select(r => ((long)r[0], (long)r[1], (long)r[2], (long)r[3], Convert.ToDouble(r[4], System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task TheModelLatencyAnalysis_MatchesHandComputedAnswers()
    {
        await using (var tracker = Tracking.Create(_folder, o => o.AppName = "analyses"))
        {
            // Two calls of gpt-4o: 1 s writing 100 tokens (first token after 200 ms), 3 s writing 500 (after 400 ms); one
            // call of another model with no timing.
            tracker.TrackTokenUsage("ann@example.com", "gpt-4o", 1_000, 100, durationMs: 1_000, extras: new TokenUsageExtras { TimeToFirstTokenMs = 200 });
            tracker.TrackTokenUsage("ann@example.com", "gpt-4o", 1_000, 500, durationMs: 3_000, extras: new TokenUsageExtras { TimeToFirstTokenMs = 400 });
            tracker.TrackTokenUsage("ben@example.com", "llama3.1", 10, 10);
            Assert.True((await tracker.FlushAsync()).Completed);
        }

        var rows = Query(Repository.Path("sql", "sqlite", "analyses", "model_latency.sql"));
        Assert.Equal(2, rows.Count);
        Assert.Equal(("gpt-4o", 2L, 2000.0, 150.0, 300.0, 400.0), ((string)rows[0][0], (long)rows[0][1], D(rows[0][2]), D(rows[0][3]), D(rows[0][4]), D(rows[0][5])));
        Assert.Equal(("llama3.1", 1L), ((string)rows[1][0], (long)rows[1][1]));
        Assert.All(rows[1].Skip(2), v => Assert.IsType<DBNull>(v));

        static double D(object value) => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task TheErrorsBySeverityAnalysis_PutsCriticalFirst_AndCountsUnratedErrors()
    {
        await using (var tracker = Tracking.Create(_folder, o => o.AppName = "analyses"))
        {
            tracker.TrackError("ann@example.com", Actions.LlmError, "The model timed out.", ErrorSeverity.Warning);
            tracker.TrackError("ben@example.com", Actions.LlmError, "The model timed out.", ErrorSeverity.Warning);
            tracker.TrackError("ann@example.com", Actions.DatabaseError, "The warehouse is down.", ErrorSeverity.Critical, new TimeoutException("x"));
            tracker.TrackError("cy@example.com", Actions.SqlError, "no such column: x");
            tracker.TrackUserAction("cy@example.com", Actions.ExecuteSql);
            Assert.True((await tracker.FlushAsync()).Completed);
        }

        var rows = Query(Repository.Path("sql", "sqlite", "analyses", "errors_by_severity.sql"));
        Assert.Equal([("database_error", "critical", 1L, 1L), ("llm_error", "warning", 2L, 2L), ("sql_error", "unrated", 1L, 1L)],
            rows.Select(r => ((string)r[0], (string)r[1], (long)r[2], (long)r[3])));
    }

    private sealed class TestDirectory : IUserEnricher
    {
        public ValueTask<UserInfo?> EnrichAsync(string user, CancellationToken cancellationToken) => ValueTask.FromResult<UserInfo?>(user switch
        {
            "ann@example.com" => new UserInfo("Ann", "Europe/Paris", user) { Metadata = new UserMetadata(IsAdmin: true, IsOwner: false, IsBot: false, IsDeleted: false, IsRestricted: false) },
            "ben@example.com" => new UserInfo("Ben", "Asia/Tokyo", user) { Metadata = new UserMetadata(IsAdmin: false, IsOwner: false, IsBot: false, IsDeleted: false, IsRestricted: false) },
            _ => new UserInfo("Cy", "Asia/Tokyo", user) { Metadata = new UserMetadata(IsAdmin: false, IsOwner: true, IsBot: false, IsDeleted: false, IsRestricted: false) },
        });
    }

    private List<object[]> Query(string file)
    {
        using var connection = new SqliteConnection($"Data Source={_folder.Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = File.ReadAllText(file);
        command.Parameters.AddWithValue(":app_name", "analyses");
        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    private static string Describe(string database, string table = "central_app_usage")
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT 'column ' || name || ' ' || type || CASE WHEN "notnull" THEN ' not null' ELSE '' END FROM pragma_table_info($table)
            UNION ALL
            SELECT 'index ' || il.name || ' unique=' || il."unique" || ' (' || (SELECT group_concat(ii.name, ',') FROM pragma_index_info(il.name) ii) || ')'
            FROM pragma_index_list($table) il
            ORDER BY 1
            """;
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }
}
