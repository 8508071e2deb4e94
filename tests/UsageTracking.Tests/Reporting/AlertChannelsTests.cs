using System.Text.Json;
using Microsoft.Extensions.Logging;
using UsageTracking.Analytics;
using UsageTracking.Reporting.Alerts;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Reporting;

/// <summary>
/// Severity and channels over a real SQLite store: Slack- and Discord-shaped webhooks and a JSON pager on receivers on
/// 127.0.0.1, e-mail through MailKit to a real SMTP server (aiosmtpd), and a channel that cannot be reached.
/// </summary>
public sealed class AlertChannelsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 10, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();
    private readonly CapturingLoggerProvider _logs = new();
    private SqliteUsageStore _store = null!;
    private PostReceiver _slack = null!;
    private PostReceiver _discord = null!;
    private PostReceiver _pager = null!;
    private SmtpReceiver _smtp = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteUsageStore(_folder.Database);
        _slack = await PostReceiver.StartAsync("/services/T000/B000/slack-secret-token");
        _discord = await PostReceiver.StartAsync("/api/webhooks/1/discord-secret-token");
        _pager = await PostReceiver.StartAsync("/pager");
        _smtp = await SmtpReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _slack.DisposeAsync();
        await _discord.DisposeAsync();
        await _pager.DisposeAsync();
        await _smtp.DisposeAsync();
        _folder.Dispose();
    }

    private async Task WriteAsync(int count, string action, DateTimeOffset at) =>
        await _store.WriteBatchAsync(Enumerable.Range(0, count).Select(i => new UsageEvent
        {
            EventId = Guid.NewGuid().ToString("N"), Timestamp = at.AddSeconds(i % 60), AppName = "app", User = "ann@example.com", Action = action,
            IsError = UsageErrors.IsErrorName(action),
        }).ToList(), default);

    private AlertOptions Options() => new()
    {
        Rules = [new AlertRule { Name = "Error rate", Kind = AlertKind.ErrorRate, Warning = 0.1, Threshold = 0.3, Window = TimeSpan.FromHours(1), MinEvents = 5 }],
        Channels =
        [
            new AlertChannel { Name = "slack", Kind = AlertChannelKind.Slack, Url = new Uri(_slack.BaseAddress, "/services/T000/B000/slack-secret-token").ToString() },
            new AlertChannel { Name = "discord", Kind = AlertChannelKind.Discord, Url = new Uri(_discord.BaseAddress, "/api/webhooks/1/discord-secret-token").ToString() },
            new AlertChannel { Name = "pager", Kind = AlertChannelKind.Webhook, Url = new Uri(_pager.BaseAddress, "/pager").ToString(), MinSeverity = AlertSeverity.Critical },
            new AlertChannel
            {
                Name = "ops-mail", Kind = AlertChannelKind.Email, SmtpHost = "127.0.0.1", SmtpPort = _smtp.Port, SmtpSecurity = "None",
                From = "alerts@example.org", To = ["ops@example.org", "lead@example.org"],
            },
            new AlertChannel { Name = "gone", Kind = AlertChannelKind.Webhook, Url = "http://127.0.0.1:9/hooks/gone-secret-token" },
        ],
    };

    [Fact]
    public async Task AnIncident_IsToldToEachChannel_AsItsSeverityChanges_OnceEach_AndAFailingChannelHoldsUpNoOther()
    {
        var options = Options();
        Assert.Empty(options.Validate());
        var logger = _logs.CreateLogger("alerts");
        var evaluator = new AlertEvaluator(new UsageAnalytics(_store, _store), options, logger);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var dispatcher = AlertDispatcher.Create(options, http, logger);
        var minute = 0;
        async Task StepAsync()
        {
            // Two evaluations per step: an unchanged state notifies nobody.
            for (var i = 0; i < 2; i++)
            {
                foreach (var notification in await evaluator.EvaluateAsync(Noon.AddMinutes(++minute), default))
                {
                    var sent = await dispatcher.SendAsync(notification, default);
                    Assert.False(sent.GetValueOrDefault("gone", false));
                    Assert.All(sent.Where(s => s.Key != "gone"), s => Assert.True(s.Value, $"{s.Key} did not take {notification.Status}"));
                }
            }
        }

        await WriteAsync(100, Actions.ExecuteSql, Noon);
        await StepAsync();                                   // 0 %: nothing
        await WriteAsync(18, Actions.SqlError, Noon);
        await StepAsync();                                   // 15 %: warning
        await WriteAsync(60, Actions.SqlError, Noon);
        await StepAsync();                                   // 44 %: critical
        await WriteAsync(200, Actions.ExecuteSql, Noon);
        await StepAsync();                                   // 21 %: warning again
        await WriteAsync(500, Actions.ExecuteSql, Noon);
        await StepAsync();                                   // 9 %: resolved
        await StepAsync();

        string[] texts =
        [
            "[WARNING] Error rate: error rate 15.3 % over the last 1 h (warning level 10.0 %), all apps.",
            "[CRITICAL] Error rate: error rate 43.8 % over the last 1 h (threshold 30.0 %), all apps (up from warning).",
            "[WARNING] Error rate: error rate 20.6 % over the last 1 h (warning level 10.0 %), all apps (down from critical).",
            "[RESOLVED] Error rate: error rate 8.9 % over the last 1 h (threshold 30.0 %), all apps.",
        ];
        var slack = _slack.Bodies.Select(b => JsonDocument.Parse(b).RootElement).ToList();
        Assert.Equal(texts, slack.Select(b => b.GetProperty("text").GetString()));
        Assert.All(slack, b => Assert.Equal(["text"], b.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(texts, _discord.Bodies.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("content").GetString()));

        // The pager hears only of critical: the incident once it got there, and its end.
        var pager = _pager.Bodies.Select(b => JsonDocument.Parse(b).RootElement).ToList();
        Assert.Equal([("firing", "critical"), ("resolved", "critical")], pager.Select(p => (p.GetProperty("status").GetString(), p.GetProperty("severity").GetString())));
        Assert.Equal(0.3, pager[0].GetProperty("threshold").GetDouble());

        var mail = (await _smtp.MessagesAsync(4)).OrderBy(m => m.TextBody!.Split("At:")[1], StringComparer.Ordinal).ToList();
        Assert.Equal(["[WARNING] Error rate is firing", "[CRITICAL] Error rate is firing", "[WARNING] Error rate is firing", "[RESOLVED] Error rate is resolved"], mail.Select(m => m.Subject));
        Assert.All(mail, m => Assert.Equal(["ops@example.org", "lead@example.org"], m.To.Mailboxes.Select(a => a.Address)));
        Assert.All(mail, m => Assert.Equal("alerts@example.org", m.From.Mailboxes.Single().Address));
        Assert.StartsWith(texts[1], mail[1].TextBody, StringComparison.Ordinal);

        // The channel that could not be reached is named in the log; no channel's secret is.
        var log = string.Join("\n", _logs.Entries.Select(e => e.Message));
        Assert.Contains("Alert channel gone at 127.0.0.1 could not be reached", log, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableMailServer_IsLoggedWithoutItsPassword_AndReportedUndelivered()
    {
        var channel = new AlertChannel
        {
            Name = "mail", Kind = AlertChannelKind.Email, SmtpHost = "127.0.0.1", SmtpPort = 9, SmtpSecurity = "None",
            From = "alerts@example.org", To = ["ops@example.org"], UserName = "alerts", Password = "hunter2-secret",
        };
        var sent = await new EmailChannel(channel, _logs.CreateLogger("alerts")).SendAsync(
            new AlertNotification("Spend", "firing", 2, 1, "[CRITICAL] Spend: LLM cost today $2.00 (threshold $1.00), all apps.", Noon), default);
        Assert.False(sent);
        var log = string.Join("\n", _logs.Entries.Select(e => e.Message));
        Assert.Contains("Alert e-mail channel mail could not send through 127.0.0.1:9", log, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", log, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelSettings_AreCheckedAndNamed()
    {
        var options = new AlertOptions
        {
            Rules = [new AlertRule { Name = "A", Kind = AlertKind.ErrorRate, Threshold = 0.2, Warning = 0.5, Channels = ["nowhere"] }],
            Channels =
            [
                new AlertChannel { Name = "mail", Kind = AlertChannelKind.Email, SmtpHost = "smtp.example.org", From = "not an address", To = [] },
                new AlertChannel { Name = "MAIL", Kind = AlertChannelKind.Slack, Url = "hooks.slack.com/x" },
            ],
        };
        Assert.Equal(
            [
                "Alerts:Rules:0:Warning must be positive and below the critical level (0.2).",
                "Alerts:Rules:0:Channels names 'nowhere', which is not a channel.",
                "Alerts:Channels:0: an e-mail channel needs a From address and at least one To address, all well-formed.",
                "Alerts:Channels:1:Url must be an absolute http(s) URL.",
                "Alerts:Channels has two channels named 'mail'; names must be unique.",
            ],
            options.Validate());
    }
}
