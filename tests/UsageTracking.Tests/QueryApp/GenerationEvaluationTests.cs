using System.Globalization;
using System.Text;
using System.Text.Json;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>
/// The offline generator on the evaluation set (<c>Corpus/generation-eval.json</c>): questions as users ask them, each
/// with SQL that answers it, or none where the generator must refuse. Both queries run and their results are compared;
/// an answer whose result differs from the gold one is a confident wrong answer, and one is enough to fail.
/// </summary>
public sealed class GenerationEvaluationTests(DemoDataFixture demo) : IClassFixture<DemoDataFixture>, IDisposable
{
    private const string UsageTable = "central_app_usage";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private sealed record Case(string Source, string Category, string Question, string? Gold, bool Ordered);

    private enum Outcome
    {
        Correct,
        Refused,
        Wrong,
    }

    private static List<Case> Cases() =>
        JsonDocument.Parse(File.ReadAllText(Repository.Path("tests", "UsageTracking.Tests", "Corpus", "generation-eval.json"))).RootElement
            .GetProperty("questions").EnumerateArray()
            .Select(q => new Case(q.GetProperty("source").GetString()!, q.GetProperty("category").GetString()!, q.GetProperty("question").GetString()!,
                q.GetProperty("gold").ValueKind == JsonValueKind.Null ? null : q.GetProperty("gold").GetString(), q.GetProperty("ordered").GetBoolean()))
            .ToList();

    [Fact]
    public async Task TheEvaluationSet_HasNoWrongAnswer_AndAtLeast85PercentOfAnswerableQuestionsRight()
    {
        var cases = Cases();
        Assert.True(cases.Count >= 150, $"the evaluation set has {cases.Count} questions; it needs at least 150");
        var usage = await UsageSourceAsync();
        var generator = new OfflineSqlGenerator();
        var results = new List<(Case Case, Outcome Outcome, string Detail)>();
        foreach (var test in cases)
        {
            var source = test.Source == "demo" ? demo.Source : usage;
            var answer = await generator.GenerateAsync(new GenerationRequest(test.Question, source, await source.GetSchemaAsync(default), []), default);
            if (answer.Sql is null)
            {
                results.Add((test, test.Gold is null ? Outcome.Correct : Outcome.Refused, answer.Message ?? ""));
                continue;
            }

            if (test.Gold is null)
            {
                results.Add((test, Outcome.Wrong, $"answered a question it must refuse: {answer.Interpretation} — {answer.Sql}"));
                continue;
            }

            var gold = await QueryRun.AllAsync(source, test.Gold.Replace("{table}", UsageTable, StringComparison.Ordinal));
            List<object?[]> generated;
            try
            {
                generated = (await QueryRun.AllAsync(source, answer.Sql)).Rows;
            }
            catch (Exception ex) when (ex is UsageTracking.Sql.SqlQueryException)
            {
                results.Add((test, Outcome.Wrong, $"generated SQL that fails: {ex.Message} — {answer.Sql}"));
                continue;
            }

            var same = SameResult(gold.Rows, generated, test.Ordered);
            results.Add((test, same ? Outcome.Correct : Outcome.Wrong, same ? answer.Interpretation ?? "" : $"{answer.Interpretation} — {answer.Sql} — got {Show(generated)}, expected {Show(gold.Rows)}"));
        }

        var report = Report(results);
        Directory.CreateDirectory(Repository.Path("TestResults"));
        await File.WriteAllTextAsync(Repository.Path("TestResults", "generation-eval.md"), report);

        var wrong = results.Where(r => r.Outcome == Outcome.Wrong).ToList();
        Assert.True(wrong.Count == 0, "confidently wrong answers:\n" + string.Join("\n", wrong.Select(w => $"- {w.Case.Question}: {w.Detail}")));
        var answerable = results.Where(r => r.Case.Gold is not null).ToList();
        var correct = answerable.Count(r => r.Outcome == Outcome.Correct);
        Assert.True(correct >= 0.85 * answerable.Count,
            $"{correct} of {answerable.Count} answerable questions right; refused:\n" + string.Join("\n", answerable.Where(r => r.Outcome == Outcome.Refused).Select(r => $"- {r.Case.Question}: {r.Detail}")));
    }

    private static string Report(List<(Case Case, Outcome Outcome, string Detail)> results)
    {
        var text = new StringBuilder("| category | questions | correct | refused | wrong |\n|---|---:|---:|---:|---:|\n");
        foreach (var group in results.GroupBy(r => r.Case.Category).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {group.Key} | {group.Count()} | {group.Count(r => r.Outcome == Outcome.Correct)} | {group.Count(r => r.Outcome == Outcome.Refused)} | {group.Count(r => r.Outcome == Outcome.Wrong)} |\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"| **all** | {results.Count} | {results.Count(r => r.Outcome == Outcome.Correct)} | {results.Count(r => r.Outcome == Outcome.Refused)} | {results.Count(r => r.Outcome == Outcome.Wrong)} |\n\n");
        foreach (var (test, outcome, detail) in results)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {outcome}: {test.Question} — {detail}\n");
        }

        return text.ToString();
    }

    private static bool SameResult(List<object?[]> expected, List<object?[]> actual, bool ordered)
    {
        if (expected.Count != actual.Count || expected.Count > 0 && expected[0].Length != actual[0].Length)
        {
            return false;
        }

        var left = expected.Select(Key).ToList();
        var right = actual.Select(Key).ToList();
        return ordered ? left.SequenceEqual(right) : left.Order(StringComparer.Ordinal).SequenceEqual(right.Order(StringComparer.Ordinal));
    }

    // Numbers compare to six significant digits (an average rounded in SQL, a sum of reals); text as it is.
    private static string Key(object?[] row) => string.Join("\u001f", row.Select(v => v switch
    {
        null => "∅",
        long or int or double or decimal or float => Convert.ToDouble(v, CultureInfo.InvariantCulture).ToString("G6", CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture),
    }));

    private static string Show(List<object?[]> rows) => string.Join("; ", rows.Take(3).Select(r => string.Join(", ", r))) + (rows.Count > 3 ? $" … ({rows.Count} rows)" : "");

    // Forty days of usage from three apps, written through the SQLite store, relative to now (the questions ask for
    // "today", "this week", "the last 30 days").
    private async Task<IDataSource> UsageSourceAsync()
    {
        await using (var store = new SqliteUsageStore(_folder.Database, UsageTable))
        {
            await store.EnsureSchemaAsync(allowUpgrade: true, default);
            var random = new Random(7);
            var now = DateTimeOffset.UtcNow;
            string[] apps = ["query-app", "chatbot", "reports"];
            string[] users = ["ana@example.org", "ben@example.org", "cleo@example.org", "dev@example.org", "eve@example.org", "finn@example.org", "gus@example.org", "hana@example.org"];
            string[] actions = [Actions.AppStart, Actions.GenerateQuestion, Actions.SqlQuery, Actions.EditSql, Actions.ExecuteSql, Actions.DownloadResults, Actions.GenerateChart,
                Actions.ThumbsUp, Actions.ThumbsDown, Actions.SqlError, Actions.DatabaseError, Actions.TokenUsage];
            string[] models = ["gpt-4o", "gpt-4o-mini", "llama3"];
            var events = new List<UsageEvent>();
            for (var i = 0; i < 3_000; i++)
            {
                var at = now.AddMinutes(-random.Next(0, 40 * 24 * 60));
                var action = actions[random.Next(actions.Length)];
                var user = users[random.Next(users.Length)];
                var tokens = action == Actions.TokenUsage;
                events.Add(new UsageEvent
                {
                    Timestamp = at, AppName = apps[random.Next(apps.Length)], User = user, Action = action, EventId = $"e{i}",
                    SessionId = $"{user}-{at:yyyyMMdd}", DurationMs = random.Next(5, 9_000), IsError = action.EndsWith("_error", StringComparison.Ordinal),
                    Model = tokens ? models[random.Next(models.Length)] : null, InputTokens = tokens ? random.Next(100, 4_000) : null,
                    OutputTokens = tokens ? random.Next(50, 2_000) : null, CostUsd = tokens ? Math.Round((decimal)random.NextDouble() / 10, 6) : null,
                });
            }

            await store.WriteBatchAsync(events, default);
        }

        return new DataSource("usage", "Usage", "usage", new SqliteSqlSource(_folder.Database, UsageTable));
    }
}
