using UsageTracking.Analytics;

namespace UsageTracking.Tests.Support;

/// <summary>Random events over ten days for the rollup tests, and the check that a store's aggregates say what its rows say.</summary>
internal static class RollupSample
{
    public static List<UsageEvent> Events(DateTimeOffset start, int count, int seed)
    {
        var random = new Random(seed);
        string[] actions = [Actions.GenerateQuestion, Actions.SqlQuery, Actions.EditSql, Actions.ExecuteSql, Actions.DownloadResults, Actions.SqlError, Actions.TokenUsage,
            Actions.NewConversation, Actions.NewReply];
        return Enumerable.Range(0, count).Select(i =>
        {
            var action = actions[random.Next(actions.Length)];
            var app = random.Next(3) == 0 ? "other" : "app";
            return new UsageEvent
            {
                EventId = Guid.NewGuid().ToString("N"),
                Timestamp = start.AddMinutes(random.Next(0, 60 * 24 * 10)),
                AppName = app,
                User = $"user{random.Next(12)}@example.com",
                Action = action,
                SessionId = $"{app}-s{random.Next(40)}",
                DurationMs = random.Next(4) == 0 ? null : random.NextDouble() * 3000,
                Model = action == Actions.TokenUsage ? "gpt-4o" : null,
                InputTokens = action == Actions.TokenUsage ? random.Next(10, 5000) : null,
                OutputTokens = action == Actions.TokenUsage ? random.Next(10, 900) : null,
                CostUsd = action == Actions.TokenUsage ? random.Next(1, 1000) / 10_000m : null,
                // As the tracker's normaliser sets it for *_error actions.
                IsError = action == Actions.SqlError,
                // Chat messages carry their length, model calls (most of them) their time to first token; conversations run over days.
                PropertiesJson = action is Actions.NewConversation or Actions.NewReply ? $$"""{"message_length":{{random.Next(0, 3000)}}}"""
                    : action == Actions.TokenUsage && random.Next(3) > 0 ? $$"""{"ttft_ms":{{random.Next(50, 4000)}}}""" : null,
            };
        }).ToList();
    }

    /// <summary>What the rows say, folded in memory, against what the store's aggregates say, per app and for all apps.</summary>
    public static async Task AssertAggregatesMatchRows(IUsageReader reader, IUsageAggregates aggregates, UsageQuery everything)
    {
        foreach (var app in new[] { null, "app", "other" })
        {
            var query = everything with { AppName = app };
            var fromRows = new AggregateBuilder();
            await foreach (var e in reader.ReadEventsAsync(query, default))
            {
                fromRows.Add(e);
            }

            var expected = fromRows.Build();
            var actual = await aggregates.GetAggregatesAsync(query, AggregateParts.All, default);
            var (e1, a1) = (Canonical(expected.Hourly).ToList(), Canonical(actual.Hourly).ToList());
            Assert.True(e1.SequenceEqual(a1), string.Join("\n", e1.Except(a1).Take(3)) + "\n---\n" + string.Join("\n", a1.Except(e1).Take(3)));
            Assert.Equal(expected.Users.OrderBy(u => (u.Day, u.User)), actual.Users.OrderBy(u => (u.Day, u.User)));
            Assert.Equal(expected.Sessions.OrderBy(s => (s.Day, s.Action)), actual.Sessions.OrderBy(s => (s.Day, s.Action)));
            Assert.Equal(expected.Durations.OrderBy(d => (d.Hour, d.Bucket)), actual.Durations.OrderBy(d => (d.Hour, d.Bucket)));
            Assert.Equal(expected.MessageLengths.OrderBy(m => (m.Day, m.Bucket)), actual.MessageLengths.OrderBy(m => (m.Day, m.Bucket)));
            Assert.NotEmpty(actual.ConversationDurations);
            Assert.Equal(
                expected.ConversationDurations.OrderBy(c => (c.Day, c.Bucket)).Select(c => (c.Day, c.Bucket, c.Conversations, Math.Round(c.Seconds, 3))),
                actual.ConversationDurations.OrderBy(c => (c.Day, c.Bucket)).Select(c => (c.Day, c.Bucket, c.Conversations, Math.Round(c.Seconds, 3))));
        }
    }

    // Sums of doubles differ in the last bits with the order of addition; compare them rounded.
    private static IEnumerable<string> Canonical(IEnumerable<HourlyActivity> rows) =>
        rows.GroupBy(h => (h.Hour, h.Action, h.Model))
            .Select(g => $"{g.Key} {g.Sum(h => h.Events)} {g.Sum(h => h.Errors)} {g.Sum(h => h.DurationCount)} {Math.Round(g.Sum(h => h.DurationSum), 6)} {g.Sum(h => h.InputTokens)} {g.Sum(h => h.OutputTokens)} {Math.Round(g.Sum(h => h.CostUsd), 6):0.######} {g.Sum(h => h.TtftCount)} {Math.Round(g.Sum(h => h.TtftSum), 6)}")
            .Order(StringComparer.Ordinal);
}
