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

/// <summary>One threshold rule.</summary>
public sealed class AlertRule
{
    /// <summary>Shown in notifications and logs; must be unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>What is watched.</summary>
    public AlertKind Kind { get; set; }

    /// <summary>The limit (a fraction for <see cref="AlertKind.ErrorRate"/>, ms for <see cref="AlertKind.P95Duration"/>, USD for <see cref="AlertKind.DailyCost"/>).</summary>
    public double Threshold { get; set; }

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

    /// <summary>Where firing and resolved notifications are posted (Slack and Discord incoming webhooks both accept them). Never logged.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>How often the rules are evaluated. Default 1 minute.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The rules; none by default.</summary>
    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>Problems with the settings, each naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
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
        }

        foreach (var name in Rules.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            problems.Add($"Alerts:Rules has two rules named '{name}'; names must be unique.");
        }

        return problems;
    }
}
