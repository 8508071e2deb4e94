using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>Whatever an app passes, <c>Track*</c> never throws, and what is stored stays within <see cref="FieldLimits"/>.</summary>
public sealed class BadInputTests : IDisposable
{
    private static readonly string OneMegabyte = new('x', 1_048_576);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly string?[] Strings =
    [
        null, "", "   ", OneMegabyte, "\u0001\u0007\b\u001b[31m\r\n\t", "\uD800", "abc\uDC00def", "😀" + new string('y', 300),
        "nul\0inside", "x'); DROP TABLE central_app_usage; --", "\u202Eright-to-left", "\uFEFFbom",
    ];

    [Fact(Timeout = 60_000)]
    public async Task TrackCalls_WithHostileInput_NeverThrow_AndStoreValuesWithinLimits()
    {
        await using var tracker = Tracking.Create(_folder);
        var strings = Strings;
        var cyclic = new Dictionary<string, object?>();
        cyclic["self"] = cyclic;

        var calls = 0;
        foreach (var s in strings)
        {
            foreach (var t in strings)
            {
                tracker.TrackUserAction(s, t!);
                tracker.TrackUserAction(s, t!, t, double.NaN, new Dictionary<string, object?> { [t ?? "k"] = s });
                tracker.TrackError(s, t!, s, new InvalidOperationException(t));
                calls += 3;
            }

            tracker.Track(new UsageEvent
            {
                User = s,
                Action = s!,
                EventId = s,
                SessionId = s,
                Detail = s,
                Model = s,
                DurationMs = double.PositiveInfinity,
                InputTokens = long.MinValue,
                CostUsd = decimal.MaxValue,
                PropertiesJson = s,
                Timestamp = DateTimeOffset.MaxValue,
            });
            tracker.Track(new UsageEvent { Action = "cyclic", Properties = cyclic, Timestamp = DateTimeOffset.MinValue });
            tracker.Track(new UsageEvent { Action = "offset", Timestamp = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.FromHours(5)) });
            calls += 3;
        }

        tracker.Track(null!);
        tracker.TrackError(null, null!, null);
        calls++;

        var result = await tracker.FlushAsync();
        Assert.True(result.Completed);
        Assert.Equal(0, result.Dropped + result.Quarantined);
        Assert.Equal(calls, Tracking.Rows(_folder));

        Assert.Equal(0, Tracking.Scalar(_folder, $"SELECT COUNT(*) FROM central_app_usage WHERE length(action) > {FieldLimits.Action} OR length(user) > {FieldLimits.User} OR length(detail) > {FieldLimits.Detail} OR length(session_id) > {FieldLimits.SessionId} OR length(model) > {FieldLimits.Model}"));
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = '' OR user = '' OR event_id IS NULL"));
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE properties IS NOT NULL AND json_valid(properties) = 0"));
        Assert.True(Tracking.Scalar(_folder, $"SELECT COUNT(*) FROM central_app_usage WHERE action = '{new string('x', FieldLimits.Action)}'") > 0, "a 1 MB action is cut to the limit");
        Assert.True(Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = 'x''); DROP TABLE central_app_usage; --'") > 0);
        Assert.True(Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE user = 'anonymous@localhost'") > 0, "a missing user becomes the default user");
        Assert.True(Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = 'cyclic' AND properties LIKE '%could not be serialised%'") > 0);
        Assert.Equal(0, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE action = 'offset' AND timestamp <> '2026-01-01 07:00:00.000'"));
        Assert.True(tracker.GetHealth().Truncated > 0);
    }

    [Fact]
    public async Task TruncatedValue_NeverSplitsASurrogatePair()
    {
        await using var tracker = Tracking.Create(_folder);
        var action = new string('a', FieldLimits.Action - 1) + "😀";
        tracker.TrackUserAction("ann@example.com", action);
        await tracker.FlushAsync();

        var stored = await Tracking.Store(_folder).ReadEventsAsync(new UsageQuery(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1)), default).SingleAsync();
        Assert.Equal(new string('a', FieldLimits.Action - 1), stored.Action);
    }

    [Fact]
    public async Task OversizedProperties_AreReplacedByValidJsonNamingTheLength()
    {
        await using var tracker = Tracking.Create(_folder);
        tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql, "s", 1, new Dictionary<string, object?> { ["sql"] = new string('s', 100_000) });
        await tracker.FlushAsync();

        var stored = await Tracking.Store(_folder).ReadEventsAsync(new UsageQuery(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1)), default).SingleAsync();
        Assert.Equal("""{"_truncated":true,"_length":100010}""", stored.PropertiesJson);
    }
}
