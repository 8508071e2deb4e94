using Microsoft.Extensions.Logging;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Delivery;

/// <summary>What the tracker tells the app developer through ILogger, and at which level.</summary>
public sealed class LoggingTests : IDisposable
{
    private const int SpooledEventId = 5;
    private const int TruncatedEventId = 18;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(true, LogLevel.Warning)]
    [InlineData(false, LogLevel.Debug)]
    public async Task StoreOutage_IsLoggedAtWarningOnlyWithDebugLogging(bool debugLogging, LogLevel expected)
    {
        var logs = new CapturingLoggerProvider();
        var store = new FaultyStore(Tracking.Store(_folder)) { FailUntil = DateTimeOffset.MaxValue };
        await using (var tracker = UsageTracker.Create(Tracking.Options(_folder, o => { o.DebugLogging = debugLogging; o.RetryBudget = TimeSpan.Zero; }), logs, store))
        {
            tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
            tracker.TrackUserAction(new string('u', FieldLimits.User + 1), Actions.ExecuteSql);
            await tracker.FlushAsync();
        }

        var spooled = logs.Entries.Where(e => e.Id.Id == SpooledEventId).ToList();
        Assert.NotEmpty(spooled);
        Assert.All(spooled, e => Assert.Equal(expected, e.Level));
        Assert.Contains("simulated outage", spooled[0].Message, StringComparison.Ordinal);
        var truncated = Assert.Single(logs.Entries, e => e.Id.Id == TruncatedEventId);
        Assert.Equal(expected, truncated.Level);
        Assert.Contains("user", truncated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quarantine_IsAlwaysAWarningNamingTheFolderAndReason()
    {
        var logs = new CapturingLoggerProvider();
        var store = new FaultyStore(Tracking.Store(_folder)) { Reject = e => e.Action == "poison" };
        await using (var tracker = UsageTracker.Create(Tracking.Options(_folder), logs, store))
        {
            tracker.TrackUserAction("ann@example.com", "poison");
            await tracker.FlushAsync();
        }

        var entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("quarantined", StringComparison.Ordinal));
        Assert.Contains("quarantine", entry.Message, StringComparison.Ordinal);
        Assert.Contains("is not allowed", entry.Message, StringComparison.Ordinal);
    }
}
