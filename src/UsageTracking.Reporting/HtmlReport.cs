using System.Text;
using System.Text.Json;
using UsageTracking.Analytics;

namespace UsageTracking.Reporting;

/// <summary>What the report and the dashboard page draw: the panels, and the retention setting behind the cleanup.</summary>
/// <param name="Dashboard">Every panel.</param>
/// <param name="RetentionDays">Rows older than this are deleted by the cleanup (0: kept for ever).</param>
/// <param name="Title">The report's title.</param>
public sealed record DashboardDocument(Dashboard Dashboard, int RetentionDays, string Title)
{
    /// <summary>Levels the headline figures are coloured by; null colours none.</summary>
    public KpiThresholds? Thresholds { get; init; }
}

/// <summary>
/// One self-contained HTML file: styles, Chart.js, the dashboard script and the numbers all inline, so it opens
/// anywhere, offline, and can be mailed or archived.
/// </summary>
public static class HtmlReport
{
    /// <summary>JSON as the page script reads it (camelCase, ISO dates).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>The numbers behind the report, as indented JSON.</summary>
    public static string ToJson(DashboardDocument document) => JsonSerializer.Serialize(document, new JsonSerializerOptions(Json) { WriteIndented = true });

    /// <summary>The report's HTML.</summary>
    public static string Render(DashboardDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var q = document.Dashboard.Query;
        var scope = $"{(q.AppName ?? "all apps")}{(q.User is null ? "" : ", user " + q.User)}, {q.Since:yyyy-MM-dd HH:mm} to {q.Until:yyyy-MM-dd HH:mm} UTC";
        // The default encoder escapes <, > and & in JSON, so the data cannot close its script element.
        var data = JsonSerializer.Serialize(document, Json);
        var html = new StringBuilder(300_000);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Encode(document.Title)).Append("</title>\n<style>\n");
        html.Append("body { margin: 0; padding: 20px 28px 40px; font: 14px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif; background: #f5f7fb; color: #1f2937; }\n");
        html.Append("header h1 { font-size: 20px; margin: 0; } header p { color: #6b7280; margin: 4px 0 16px; }\n");
        html.Append(ReportAssets.Read("dashboard.css")).Append("</style>\n</head>\n<body>\n<header><h1>").Append(Encode(document.Title)).Append("</h1>\n<p>")
            .Append(Encode(scope)).Append(" · generated ").Append(document.Dashboard.GeneratedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))
            .Append(" UTC</p></header>\n<div id=\"dashboard\"></div>\n");
        html.Append("<script type=\"application/json\" id=\"dashboard-data\">").Append(data).Append("</script>\n");
        html.Append("<script>").Append(ReportAssets.Read("chart.umd.min.js").Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("</script>\n");
        html.Append("<script>").Append(ReportAssets.Read("dashboard.js")).Append("</script>\n");
        html.Append("<script>UsageDashboard.render(document.getElementById(\"dashboard\"), JSON.parse(document.getElementById(\"dashboard-data\").textContent));</script>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => System.Net.WebUtility.HtmlEncode(text);
}
