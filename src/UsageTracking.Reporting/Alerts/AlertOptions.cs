namespace UsageTracking.Reporting.Alerts;

/// <summary>What a rule watches.</summary>
public enum AlertKind
{
    /// <summary>Errors ÷ events over <see cref="AlertRule.Window"/> above <see cref="AlertRule.Threshold"/> (0.05 = 5 %).</summary>
    ErrorRate,

    /// <summary>95th percentile step duration over <see cref="AlertRule.Window"/> above <see cref="AlertRule.Threshold"/> milliseconds.</summary>
    P95Duration,

    /// <summary>No event at all for <see cref="AlertRule.Window"/>.</summary>
    NoEvents,

    /// <summary>Estimated LLM cost today (UTC) above <see cref="AlertRule.Threshold"/> US dollars.</summary>
    DailyCost,
}

/// <summary>How bad a firing rule is: past its <see cref="AlertRule.Warning"/> level, or past its <see cref="AlertRule.Threshold"/>.</summary>
public enum AlertSeverity
{
    /// <summary>Past the warning level, not the critical one.</summary>
    Warning,

    /// <summary>Past the critical level (<see cref="AlertRule.Threshold"/>).</summary>
    Critical,
}

/// <summary>Where a channel delivers.</summary>
public enum AlertChannelKind
{
    /// <summary>A Slack incoming webhook (<c>{"text": …}</c>).</summary>
    Slack,

    /// <summary>A Discord webhook (<c>{"content": …}</c>).</summary>
    Discord,

    /// <summary>Any receiver of JSON: the notification's fields (rule, status, severity, value, threshold, text, at).</summary>
    Webhook,

    /// <summary>E-mail over SMTP.</summary>
    Email,
}

/// <summary>One place notifications go. The URL and the SMTP password are secrets: never logged.</summary>
public sealed class AlertChannel
{
    /// <summary>Named by rules (<see cref="AlertRule.Channels"/>) and in logs; must be unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>What it is.</summary>
    public AlertChannelKind Kind { get; set; }

    /// <summary>For Slack, Discord and Webhook: where to post.</summary>
    public string? Url { get; set; }

    /// <summary>The least severity this channel is told about (a channel for critical only hears nothing of warnings). Default Warning.</summary>
    public AlertSeverity MinSeverity { get; set; } = AlertSeverity.Warning;

    /// <summary>For Email: the SMTP server.</summary>
    public string? SmtpHost { get; set; }

    /// <summary>For Email: its port. Default 587.</summary>
    public int SmtpPort { get; set; } = 587;

    /// <summary>For Email: <c>Auto</c> (default: TLS when the server offers it), <c>None</c>, <c>StartTls</c> or <c>SslOnConnect</c>.</summary>
    public string SmtpSecurity { get; set; } = "Auto";

    /// <summary>For Email: the SMTP user, when the server wants one.</summary>
    public string? UserName { get; set; }

    /// <summary>For Email: the SMTP password. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>For Email: the sender's address.</summary>
    public string? From { get; set; }

    /// <summary>For Email: the recipients.</summary>
    public List<string> To { get; set; } = [];
}

/// <summary>One threshold rule.</summary>
public sealed class AlertRule
{
    /// <summary>Shown in notifications and logs; must be unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>What is watched.</summary>
    public AlertKind Kind { get; set; }

    /// <summary>
    /// The critical level (a fraction for <see cref="AlertKind.ErrorRate"/>, ms for <see cref="AlertKind.P95Duration"/>, USD for
    /// <see cref="AlertKind.DailyCost"/>; for <see cref="AlertKind.NoEvents"/> the <see cref="Window"/> is the level).
    /// </summary>
    public double Threshold { get; set; }

    /// <summary>
    /// The warning level, below <see cref="Threshold"/> (for <see cref="AlertKind.NoEvents"/>: minutes of silence, below the
    /// window's). Unset: the rule is either fine or critical.
    /// </summary>
    public double? Warning { get; set; }

    /// <summary>The channels told about this rule, by name; empty (the default) means every channel.</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>How far back the rule looks; rates and percentiles use whole UTC hours (rounded up). Default 1 hour.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>One app, or null for all.</summary>
    public string? App { get; set; }

    /// <summary>For <see cref="AlertKind.ErrorRate"/>: fewer events than this in the window never fire (one failure out of two is not an incident). Default 10.</summary>
    public long MinEvents { get; set; } = 10;
}

/// <summary>Alert settings, bound from the <c>Alerts</c> configuration section.</summary>
public sealed class AlertOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Alerts";

    /// <summary>
    /// A webhook every rule posts to, as the channel named <c>webhook</c> (its JSON has <c>text</c> and <c>content</c>, so
    /// Slack and Discord accept it too). Never logged. <see cref="Channels"/> adds others.
    /// </summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Slack, Discord, webhook and e-mail channels; rules name the ones they go to.</summary>
    public List<AlertChannel> Channels { get; set; } = [];

    /// <summary>Every channel: <see cref="Channels"/>, and <see cref="WebhookUrl"/> as one named <c>webhook</c>.</summary>
    public IReadOnlyList<AlertChannel> AllChannels() => WebhookUrl is { Length: > 0 } url
        ? [.. Channels, new AlertChannel { Name = "webhook", Kind = AlertChannelKind.Webhook, Url = url }]
        : Channels;

    /// <summary>How often the rules are evaluated. Default 1 minute.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The rules; none by default.</summary>
    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>Problems with the settings, each naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        var channels = AllChannels();
        if (Interval < TimeSpan.FromSeconds(1))
        {
            problems.Add("Alerts:Interval must be at least one second.");
        }

        if (WebhookUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
        {
            problems.Add("Alerts:WebhookUrl must be an absolute http(s) URL.");
        }

        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            if (string.IsNullOrWhiteSpace(rule.Name))
            {
                problems.Add($"Alerts:Rules:{i}:Name is required.");
            }

            if (rule.Window <= TimeSpan.Zero)
            {
                problems.Add($"Alerts:Rules:{i}:Window must be positive.");
            }

            if (rule.Kind != AlertKind.NoEvents && rule.Threshold <= 0)
            {
                problems.Add($"Alerts:Rules:{i}:Threshold must be positive for {rule.Kind}.");
            }

            var critical = rule.Kind == AlertKind.NoEvents ? rule.Window.TotalMinutes : rule.Threshold;
            if (rule.Warning is { } warning && (warning <= 0 || warning >= critical))
            {
                problems.Add($"Alerts:Rules:{i}:Warning must be positive and below the critical level ({critical.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
            }

            foreach (var channel in rule.Channels.Where(c => !channels.Any(a => string.Equals(a.Name, c, StringComparison.OrdinalIgnoreCase))))
            {
                problems.Add($"Alerts:Rules:{i}:Channels names '{channel}', which is not a channel.");
            }
        }

        for (var i = 0; i < Channels.Count; i++)
        {
            var channel = Channels[i];
            if (string.IsNullOrWhiteSpace(channel.Name))
            {
                problems.Add($"Alerts:Channels:{i}:Name is required.");
            }

            if (channel.Kind == AlertChannelKind.Email)
            {
                if (string.IsNullOrWhiteSpace(channel.SmtpHost) || channel.SmtpPort is <= 0 or > 65535)
                {
                    problems.Add($"Alerts:Channels:{i}: an e-mail channel needs SmtpHost and a SmtpPort from 1 to 65535.");
                }

                if (!System.Net.Mail.MailAddress.TryCreate(channel.From, out _) || channel.To.Count == 0 || channel.To.Any(t => !System.Net.Mail.MailAddress.TryCreate(t, out _)))
                {
                    problems.Add($"Alerts:Channels:{i}: an e-mail channel needs a From address and at least one To address, all well-formed.");
                }

                if (channel.SmtpSecurity is not ("Auto" or "None" or "StartTls" or "SslOnConnect"))
                {
                    problems.Add($"Alerts:Channels:{i}:SmtpSecurity must be Auto, None, StartTls or SslOnConnect.");
                }
            }
            else if (!Uri.TryCreate(channel.Url, UriKind.Absolute, out var channelUri) || channelUri.Scheme is not ("https" or "http"))
            {
                problems.Add($"Alerts:Channels:{i}:Url must be an absolute http(s) URL.");
            }
        }

        foreach (var name in channels.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            problems.Add($"Alerts:Channels has two channels named '{name}'; names must be unique.");
        }

        foreach (var name in Rules.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            problems.Add($"Alerts:Rules has two rules named '{name}'; names must be unique.");
        }

        return problems;
    }
}
