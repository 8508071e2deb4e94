using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The live dashboard in Chromium: panels drawn, and events tracked by the test showing up without a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests(Browser browser)
{
    [Fact]
    public async Task NewEvents_AppearWithinTwoSeconds_WithoutAReload()
    {
        await using var host = await QueryAppHost.StartAsync(100,
            ("Dashboard:Thresholds:ErrorRate:Warning", "0.05"), ("Dashboard:Thresholds:ErrorRate:Critical", "0.08"),
            ("Dashboard:Thresholds:DurationP95Ms:Warning", "1000"),
            ("UsageTracking:Funnels:0:Name", "Run, then fail"), ("UsageTracking:Funnels:0:Steps:0", Actions.ExecuteSql), ("UsageTracking:Funnels:0:Steps:1", Actions.SqlError));
        var tracker = host.Services.GetRequiredService<IUsageTracker>();
        for (var i = 0; i < 29; i++)
        {
            tracker.TrackUserAction($"user{i % 4}@example.com", i % 10 == 0 ? Actions.SqlError : Actions.ExecuteSql, $"s{i % 5}", 20 + i * 7);
        }

        // One model call of 1.5 s writing 300 tokens, the first after 400 ms: 200 tokens a second in the models panel.
        tracker.TrackTokenUsage("user0@example.com", "gpt-4o-mini", 1_000, 300, extras: new TokenUsageExtras { TimeToFirstTokenMs = 400 }, durationMs: 1_500);
        // Two conversations: messages of 42, 300 and 1,500 characters.
        tracker.TrackNewConversation("user1@example.com", "chat-1", 42);
        tracker.TrackNewReply("user1@example.com", "chat-1", 300);
        tracker.TrackNewConversation("user2@example.com", "chat-2", 1_500);
        await tracker.FlushAsync();
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, new Uri(host.Address, "/dashboard?range=24h").ToString());
        await Assertions.Expect(page.Locator("#live")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bon\\b"));
        await Assertions.Expect(page.Locator("#live-events")).ToHaveTextAsync("33");
        await page.WaitForFunctionAsync("() => !!Chart.getChart(document.getElementById('chart-events'))");
        await Assertions.Expect(page.Locator("#kpi-events .ut-kpi-value")).ToHaveTextAsync("33");

        // The new panels, with data: 3 errors in 33 events (9.1 %) is past the critical 8 %; p95 under 1 s is good; the mean
        // step duration; response time and cost over time; the model's latency and tokens per second; live users.
        await Assertions.Expect(page.Locator("#kpi-error-rate")).ToHaveAttributeAsync("data-level", "critical");
        await Assertions.Expect(page.Locator("#kpi-durations")).ToHaveAttributeAsync("data-level", "good");
        await Assertions.Expect(page.Locator("#kpi-response-time .ut-kpi-value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9,]+ ms$"));
        Assert.Equal(4, await page.EvaluateAsync<int>("Chart.getChart(document.getElementById('chart-response-time')).data.datasets.length"));
        Assert.Equal(1_500, await page.EvaluateAsync<double>("Math.max(...Chart.getChart(document.getElementById('chart-response-time')).data.datasets[3].data)"), 1_500 * 0.05);
        Assert.True(await page.EvaluateAsync<bool>("!!Chart.getChart(document.getElementById('chart-cost'))"));
        var model = page.Locator("#panel-models tbody tr").First;
        await Assertions.Expect(model.Locator("td").Nth(5)).ToHaveTextAsync("1,500 ms");
        await Assertions.Expect(model.Locator("td").Nth(6)).ToHaveTextAsync("400 ms");
        await Assertions.Expect(model.Locator("td").Nth(7)).ToHaveTextAsync("200.0");
        // Conversations: two started, one reply; both under a minute; lengths in the first, third and last buckets, mean 614.
        await Assertions.Expect(page.Locator("#panel-conversations")).ToContainTextAsync("mean message length614 characters");
        // Polled, not read once: the panels are drawn again whenever new events arrive.
        await page.WaitForFunctionAsync("() => JSON.stringify(Chart.getChart(document.getElementById('chart-conversation-durations'))?.data.datasets[0].data) === '[2,0,0,0,0]'");
        await page.WaitForFunctionAsync("() => JSON.stringify(Chart.getChart(document.getElementById('chart-message-lengths'))?.data.datasets[0].data) === '[1,0,1,0,1]'");
        await Assertions.Expect(page.Locator("#live-users")).ToHaveTextAsync("4");
        // The configured funnel: five sessions ran a query (s0–s4), the errors (i = 0, 10, 20) fell in s0 and s0 again: one.
        await Assertions.Expect(page.Locator("#panel-funnel-1 h3")).ToHaveTextAsync("Run, then fail (sessions)");
        Assert.Equal(new[] { 5, 1 }, await page.EvaluateAsync<int[]>("Chart.getChart(document.getElementById('chart-funnel-1')).data.datasets[0].data"));
        await Browser.ScreenshotAsync(page, "dashboard-01-loaded");
        await page.Locator("#panel-response-time").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "dashboard-05-latency-cost");
        await page.Locator("#panel-message-lengths").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "dashboard-06-conversations");
        var loadedAt = await page.Locator("#dashboard").GetAttributeAsync("data-loaded-at");
        var navigations = 0;
        page.FrameNavigated += (_, _) => navigations++;

        for (var i = 0; i < 5; i++)
        {
            tracker.TrackUserAction("new@example.com", Actions.DownloadResults, "s-new", 15);
        }

        await Assertions.Expect(page.Locator("#live-events")).ToHaveTextAsync("38", new() { Timeout = 2_000 });
        await Assertions.Expect(page.Locator("#latest li").First).ToContainTextAsync("download_results", new() { Timeout = 2_000 });
        await Assertions.Expect(page.Locator("#kpi-events .ut-kpi-value")).ToHaveTextAsync("38", new() { Timeout = 5_000 });
        Assert.NotEqual(loadedAt, await page.Locator("#dashboard").GetAttributeAsync("data-loaded-at"));
        Assert.Equal(0, navigations);
        await Browser.ScreenshotAsync(page, "dashboard-02-live");
    }

    [Fact]
    public async Task DroppedEvents_AreShownAsAWarning_OnTheLivePanel()
    {
        // A queue of ten that may not overflow to the spool: a burst loses events, and the page must say so.
        await using var host = await QueryAppHost.StartAsync(100, ("UsageTracking:QueueCapacity", "10"), ("UsageTracking:SpoolWhenQueueFull", "false"));
        var tracker = host.Services.GetRequiredService<UsageTracker>();
        for (var i = 0; i < 10_000; i++)
        {
            tracker.TrackUserAction("burst@example.com", Actions.ExecuteSql);
        }

        var lost = tracker.GetHealth().Dropped["queue_full"];
        Assert.True(lost > 0, "the burst lost nothing; the test needs a loss to show");
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, new Uri(host.Address, "/dashboard?range=24h").ToString());
        var warning = page.Locator("#live-dropped");
        await Assertions.Expect(warning).ToBeVisibleAsync();
        await Assertions.Expect(warning).ToContainTextAsync($"{lost:N0} events lost since the app started (queue_full: {lost:N0})");
        await Browser.ScreenshotAsync(page, "dashboard-03-dropped");
    }

    [Fact]
    public async Task LiveIndicator_ShowsReconnecting_AndRecoversByItself()
    {
        var first = await QueryAppHost.StartAsync(100);
        var port = first.Address.Port;
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, new Uri(first.Address, "/dashboard?range=24h").ToString());
        await Assertions.Expect(page.Locator("#live-text")).ToHaveTextAsync("live");

        // The server goes away (a deploy, a restart): the circuit drops, the reconnect dialog shows and the indicator says
        // so; when a server answers on the same address again, the page comes back live by itself (a new server knows
        // nothing of the old circuit, so the page reloads itself).
        await first.DisposeAsync();
        await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#live .reconnecting-text")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "dashboard-04-reconnecting");
        await using var second = await QueryAppHost.StartOnPortAsync(port, 100);
        await Assertions.Expect(page.Locator("#live .live-text")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#live .live-text")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        second.Services.GetRequiredService<IUsageTracker>().TrackUserAction("back@example.com", Actions.ExecuteSql);
        await Assertions.Expect(page.Locator("#live-events")).ToHaveTextAsync("1", new() { Timeout = 5_000 });
        await Browser.ScreenshotAsync(page, "dashboard-03-reconnected");
    }
}
