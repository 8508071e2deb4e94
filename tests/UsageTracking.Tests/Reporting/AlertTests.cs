using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using UsageTracking.Analytics;
using UsageTracking.Reporting.Alerts;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Reporting;

/// <summary>Alert rules over a real SQLite store, notifying a webhook receiver on 127.0.0.1.</summary>
public sealed class AlertTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 10, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();
    private PostReceiver _receiver = null!;
    private Uri _url = null!;
    private SqliteUsageStore _store = null!;

    public async Task InitializeAsync()
    {
        _receiver = await PostReceiver.StartAsync("/hooks/alerts");
        _url = new Uri(_receiver.BaseAddress, "/hooks/alerts");
        _store = new SqliteUsageStore(_folder.Database);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _receiver.DisposeAsync();
        _folder.Dispose();
    }

    private async Task WriteAsync(int count, string action, DateTimeOffset at) =>
        await _store.WriteBatchAsync(Enumerable.Range(0, count).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString("N"), Timestamp = at.AddSeconds(i % 60), AppName = "app", User = "ann@example.com", Action = action,
            IsError = UsageErrors.IsErrorName(action), // as the tracker's normaliser sets it
        }).ToList(), default);

    private async Task EvaluateAndNotifyAsync(AlertEvaluator evaluator, WebhookNotifier notifier, DateTimeOffset now)
    {
        foreach (var notification in await evaluator.EvaluateAsync(now, default))
        {
            Assert.True(await notifier.SendAsync(notification, default));
        }
    }

    [Fact]
    public async Task ErrorRateIncident_FiresOnce_AndResolvesOnce()
    {
        var options = new AlertOptions { Rules = [new AlertRule { Name = "Error rate", Kind = AlertKind.ErrorRate, Threshold = 0.2, Window = TimeSpan.FromHours(1), MinEvents = 5 }] };
        var evaluator = new AlertEvaluator(new UsageAnalytics(_store, _store), options, NullLogger.Instance);
        using var http = new HttpClient();
        var notifier = new WebhookNotifier(http, _url, NullLogger.Instance);

        await WriteAsync(10, Actions.ExecuteSql, Noon);
        await EvaluateAndNotifyAsync(evaluator, notifier, Noon.AddMinutes(1));
        await WriteAsync(10, Actions.SqlError, Noon.AddMinutes(2));
        for (var tick = 3; tick < 8; tick++)
        {
            await EvaluateAndNotifyAsync(evaluator, notifier, Noon.AddMinutes(tick));
        }

        Assert.Equal(["Error rate"], evaluator.Firing);
        await WriteAsync(100, Actions.ExecuteSql, Noon.AddMinutes(8));
        for (var tick = 9; tick < 14; tick++)
        {
            await EvaluateAndNotifyAsync(evaluator, notifier, Noon.AddMinutes(tick));
        }

        var received = _receiver.Bodies.Select(body => JsonDocument.Parse(body).RootElement).ToList();
        Assert.Equal(["firing", "resolved"], received.Select(n => n.GetProperty("status").GetString()));
        var firing = received[0];
        Assert.Equal("Error rate", firing.GetProperty("rule").GetString());
        Assert.Equal(0.5, firing.GetProperty("value").GetDouble(), 9);
        Assert.Equal("[CRITICAL] Error rate: error rate 50.0 % over the last 1 h (threshold 20.0 %), all apps.", firing.GetProperty("text").GetString());
        Assert.Equal(firing.GetProperty("text").GetString(), firing.GetProperty("content").GetString());
        Assert.Empty(evaluator.Firing);
    }

    [Fact]
    public async Task Silence_FiresAfterTheWindow_AndResolvesWithTheNextEvent()
    {
        var options = new AlertOptions { Rules = [new AlertRule { Name = "Silence", Kind = AlertKind.NoEvents, Window = TimeSpan.FromMinutes(30), App = "app" }] };
        var evaluator = new AlertEvaluator(new UsageAnalytics(_store, _store), options, NullLogger.Instance);
        await WriteAsync(1, Actions.ExecuteSql, Noon);

        Assert.Empty(await evaluator.EvaluateAsync(Noon.AddMinutes(29), default));
        Assert.Equal("firing", Assert.Single(await evaluator.EvaluateAsync(Noon.AddMinutes(31), default)).Status);
        Assert.Empty(await evaluator.EvaluateAsync(Noon.AddMinutes(45), default));
        await WriteAsync(1, Actions.ExecuteSql, Noon.AddMinutes(46));
        Assert.Equal("resolved", Assert.Single(await evaluator.EvaluateAsync(Noon.AddMinutes(47), default)).Status);
    }

    [Fact]
    public async Task DailyCost_ComparesTodaysTokenSpend()
    {
        var options = new AlertOptions { Rules = [new AlertRule { Name = "Spend", Kind = AlertKind.DailyCost, Threshold = 1.0 }] };
        var evaluator = new AlertEvaluator(new UsageAnalytics(_store, _store), options, NullLogger.Instance);
        await _store.WriteBatchAsync(Enumerable.Range(0, 3).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString("N"), Timestamp = Noon.AddMinutes(i), AppName = "app", User = "bot@example.com",
            Action = Actions.TokenUsage, Model = "gpt-4o", InputTokens = 1, OutputTokens = 1, CostUsd = 0.4m,
        }).ToList(), default);
        var fired = Assert.Single(await evaluator.EvaluateAsync(Noon.AddHours(1), default));
        Assert.Equal(1.2, fired.Value, 9);
        Assert.Equal("[CRITICAL] Spend: LLM cost today $1.20 (threshold $1.00), all apps.", fired.Text);
    }

    [Fact]
    public void Settings_AreCheckedAndNamed()
    {
        var options = new AlertOptions
        {
            WebhookUrl = "hooks.slack.com/x",
            Rules = [new AlertRule { Name = "A", Kind = AlertKind.ErrorRate }, new AlertRule { Name = "a", Kind = AlertKind.NoEvents }],
        };
        Assert.Equal(
            ["Alerts:WebhookUrl must be an absolute http(s) URL.", "Alerts:Rules:0:Threshold must be positive for ErrorRate.", "Alerts:Rules has two rules named 'A'; names must be unique."],
            options.Validate());
    }
}
