using Bunit;
using UsageTracking.Analytics;
using UsageTracking.QueryApp.Components.Dashboard;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The dashboard's live components with bUnit: losses shown loudly, the indicator's two states.</summary>
public sealed class DashboardComponentTests : IAsyncDisposable
{
    private readonly BunitContext _bunit = new();

    [Fact]
    public void LiveFigures_ShowTodaysCounts_TheNewestEvents_AndEveryLossWithItsReason()
    {
        var at = new DateTimeOffset(2026, 12, 1, 14, 5, 9, TimeSpan.Zero);
        var update = new LiveUpdate(
            new LiveSnapshot(at, 12_345, 17, [new LatestEvent(at, "app", "ana@example.org", Actions.ExecuteSql, 12)]) { ActiveUsersToday = 42, EventsPerMinute = 3.5 },
            QueueDepth: 3, SpoolFiles: 2, SpoolBytes: 900, LastSuccessfulWrite: at, CircuitOpen: false,
            Dropped: new Dictionary<string, long> { ["queue_full"] = 1_200, ["spool_full"] = 34 }, LastError: null, LastSpoolError: "No space left on device");
        var cut = _bunit.Render<LiveFigures>(p => p.Add(c => c.Update, update));

        Assert.Equal("12,345", cut.Find("#live-events").TextContent);
        Assert.Equal("17 errors (0.1 %)", cut.Find("#live-errors").TextContent);
        Assert.Equal("42", cut.Find("#live-users").TextContent);
        Assert.Equal("3.5 events / min this hour", cut.Find("#live-rate").TextContent);
        Assert.Equal("3 / 2", cut.Find("#live-queue").TextContent);
        Assert.Equal("last write 14:05:09 UTC", cut.Find("#live-write").TextContent);
        Assert.Equal("1,234 events lost since the app started (queue_full: 1,200, spool_full: 34) — No space left on device", cut.Find("#live-dropped").TextContent);
        Assert.Equal("alert", cut.Find("#live-dropped").GetAttribute("role"));
        Assert.Equal("14:05:09 execute_sql · ana@example.org", cut.Find("#latest li").TextContent);

        var quiet = _bunit.Render<LiveFigures>(p => p.Add(c => c.Update, update with { Dropped = new Dictionary<string, long>() }));
        Assert.Empty(quiet.FindAll("#live-dropped"));
    }

    [Fact]
    public void LiveIndicator_SaysConnectingUntilTheFirstUpdate_ThenLive()
    {
        var cut = _bunit.Render<LiveIndicator>(p => p.Add(c => c.Connected, false));
        Assert.Equal("connecting…", cut.Find("#live-text").TextContent);
        Assert.Contains("off", cut.Find("#live").ClassName, StringComparison.Ordinal);
        cut.Render(p => p.Add(c => c.Connected, true));
        Assert.Equal("live", cut.Find("#live-text").TextContent);
        Assert.Contains("on", cut.Find("#live").ClassName, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _bunit.DisposeAsync();
}
