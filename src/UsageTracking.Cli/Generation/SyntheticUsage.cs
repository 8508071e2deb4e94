using Bogus;

namespace UsageTracking.Cli.Generation;

/// <summary>
/// Realistic synthetic usage for demos and benchmarks: users of uneven activity, sessions weighted to working
/// hours and weekdays, each following the query app's flow (question → SQL → edit → run → chart → summary →
/// download) with its errors, durations and token usage. Deterministic for a given seed.
/// </summary>
internal sealed class SyntheticUsage
{
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "llama-3.1-70b"];
    private static readonly decimal[] InputPricePerMillion = [0.15m, 2.50m, 0.80m, 0.60m];
    private static readonly decimal[] OutputPricePerMillion = [0.60m, 10.00m, 4.00m, 0.60m];

    private readonly Randomizer _random;
    private readonly string[] _users;
    private readonly double[] _cumulativeWeights;
    private readonly string _appName;
    private readonly DateTimeOffset _end;
    private readonly int _days;

    public SyntheticUsage(string appName, int users, int days, int seed, DateTimeOffset end)
    {
        _random = new Randomizer(seed);
        var faker = new Faker("en") { Random = _random };
        _users = Enumerable.Range(0, users)
            .Select(i => faker.Internet.Email(faker.Name.FirstName(), faker.Name.LastName(), "example.com", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToLowerInvariant())
            .ToArray();
        // Zipf-like activity: a few heavy users, a long tail of occasional ones.
        _cumulativeWeights = new double[users];
        var sum = 0.0;
        for (var rank = 1; rank <= users; rank++)
        {
            sum += 1.0 / rank;
            _cumulativeWeights[rank - 1] = sum;
        }

        _appName = appName;
        _end = end;
        _days = days;
    }

    public IEnumerable<UsageEvent> Generate(long count)
    {
        long produced = 0;
        while (produced < count)
        {
            foreach (var e in Session())
            {
                if (produced++ >= count)
                {
                    yield break;
                }

                yield return e;
            }
        }
    }

    private IEnumerable<UsageEvent> Session()
    {
        var user = _users[UserIndex()];
        var session = _random.Hexadecimal(16, "");
        var time = SessionStart();
        UsageEvent Event(string action, double? durationMs = null, string? detail = null, bool error = false, string? sql = null)
        {
            time = time.AddMilliseconds(_random.Int(800, 40_000));
            return new UsageEvent
            {
                Timestamp = time,
                AppName = _appName,
                User = user,
                Action = action,
                SessionId = session,
                DurationMs = durationMs,
                Detail = detail,
                IsError = error,
                PropertiesJson = sql is null ? null : $$"""{"sql":"{{sql}}"}""",
            };
        }

        yield return Event(Actions.AppStart, Duration(300));
        if (_random.Bool(0.5f))
        {
            yield return Event(Actions.ViewRandomQuestions, Duration(40));
        }

        var questions = _random.Int(1, 4);
        for (var q = 0; q < questions; q++)
        {
            yield return Event(Actions.GenerateQuestion, Duration(50));
            if (_random.Bool(0.02f))
            {
                yield return Event(Actions.LlmError, detail: "The model endpoint timed out.", error: true);
                continue;
            }

            var model = _random.Int(0, Models.Length - 1);
            yield return Event(Actions.SqlQuery, Duration(1_800), sql: "SELECT phase, COUNT(*) FROM studies GROUP BY phase");
            var input = _random.Int(600, 4_000);
            var output = _random.Int(40, 600);
            var tokens = Event(Actions.TokenUsage);
            yield return tokens with
            {
                Model = Models[model],
                InputTokens = input,
                OutputTokens = output,
                CostUsd = Math.Round((input * InputPricePerMillion[model] + output * OutputPricePerMillion[model]) / 1_000_000m, 6),
            };
            if (_random.Bool(0.05f))
            {
                yield return Event(Actions.SelectColumns, Duration(30));
            }

            if (_random.Bool(0.3f))
            {
                yield return Event(Actions.EditSql, Duration(20));
            }

            var roll = _random.Double();
            if (roll < 0.04)
            {
                yield return Event(Actions.SqlError, detail: "Only a single SELECT statement can run.", error: true);
                continue;
            }

            if (roll < 0.05)
            {
                yield return Event(Actions.DatabaseError, detail: "database is locked", error: true);
                continue;
            }

            yield return Event(Actions.ExecuteSql, Duration(350));
            if (_random.Bool(0.6f))
            {
                yield return _random.Bool(0.02f)
                    ? Event(Actions.ChartError, detail: "No numeric column to plot.", error: true)
                    : Event(Actions.GenerateChart, Duration(120));
            }

            if (_random.Bool(0.5f))
            {
                yield return Event(Actions.GenerateSummary, Duration(900));
            }

            if (_random.Bool(0.25f))
            {
                yield return Event(Actions.DownloadResults, Duration(250));
            }

            if (_random.Bool(0.10f))
            {
                yield return Event(Actions.ThumbsUp);
            }
            else if (_random.Bool(0.03f))
            {
                yield return Event(Actions.ThumbsDown);
            }
        }
    }

    private static readonly TimeSpan MaxSessionLength = TimeSpan.FromMinutes(30);

    private DateTimeOffset SessionStart()
    {
        while (true)
        {
            var day = _end.UtcDateTime.Date.AddDays(-_random.Int(0, _days - 1));
            var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            if (weekend && _random.Bool(0.8f))
            {
                continue;
            }

            // Working hours dominate: a normal around 13:00 UTC, clipped to the day.
            var hour = Math.Clamp(_random.Double() + _random.Double() + _random.Double() - 1.5, -1.5, 1.5) * 6 + 13;
            var start = new DateTimeOffset(day, TimeSpan.Zero).AddHours(hour).AddSeconds(_random.Int(0, 3599));
            // Room for the whole session (its steps are up to 40 s apart): no event of it may lie after the end.
            if (start < _end - MaxSessionLength)
            {
                return start;
            }
        }
    }

    private double Duration(double medianMs) => Math.Round(medianMs * Math.Exp(_random.Double(-1, 1) * 0.8), 1);

    private int UserIndex()
    {
        var index = Array.BinarySearch(_cumulativeWeights, _random.Double() * _cumulativeWeights[^1]);
        return Math.Min(index < 0 ? ~index : index, _users.Length - 1);
    }
}
