using System.Text.Json;
using DocumentFormat.OpenXml.Packaging;
using Microsoft.Playwright;
using UsageTracking.Cli;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Reporting;

/// <summary><c>usage report</c> and <c>usage export --format xlsx</c>, and the report opened in Chromium with the network cut.</summary>
[Collection(BrowserCollection.Name)]
public sealed class HtmlReportTests(Browser browser) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(int Code, string Out, string Err)> Usage(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await UsageCli.RunAsync([.. args, "--connection", _folder.Database, "--spool-dir", _folder.Spool, "--app", "report-test"], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Report_IsOneFileThatDrawsEveryChartOffline()
    {
        Assert.Equal(0, (await Usage("generate", "--events", "4000", "--users", "30", "--days", "6")).Code);
        var html = _folder.File("dashboard.html");
        var (code, output, error) = await Usage("report", "--days", "7", "--output", html, "--json");
        Assert.True(code == 0, error);
        Assert.Contains("Wrote the report of 4,000 events", output, StringComparison.Ordinal);

        var numbers = JsonDocument.Parse(await File.ReadAllTextAsync(_folder.File("dashboard.json"))).RootElement;
        Assert.Equal(4_000, numbers.GetProperty("dashboard").GetProperty("kpis").GetProperty("events").GetInt64());
        var text = await File.ReadAllTextAsync(html);
        Assert.DoesNotContain("src=\"http", text, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"http", text, StringComparison.Ordinal);

        var page = await browser.NewPageAsync();
        var external = new List<string>();
        await page.Context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file://", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                external.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        foreach (var chart in new[] { "dau", "events", "actions", "errors", "funnel" })
        {
            await page.WaitForFunctionAsync($"() => !!Chart.getChart(document.getElementById('chart-{chart}'))");
        }

        Assert.Equal(7, await page.Locator("#heatmap tbody tr").CountAsync());
        Assert.Equal("4,000", (await page.Locator("#kpi-events .ut-kpi-value").TextContentAsync())?.Trim());
        Assert.True(await page.Locator("#panel-users tbody tr").CountAsync() > 0);
        Assert.Empty(external);
        Assert.Empty(errors);
        await Browser.ScreenshotAsync(page, "report-01-top");
        await page.Locator("#panel-heatmap").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "report-02-heatmap");
    }

    [Fact]
    public async Task ExportXlsx_HoldsEveryRowTyped()
    {
        Assert.Equal(0, (await Usage("generate", "--events", "500", "--users", "5", "--days", "2")).Code);
        var file = _folder.File("usage.xlsx");
        var (code, output, error) = await Usage("export", "--days", "3", "--format", "xlsx", "--output", file);
        Assert.True(code == 0, error);
        Assert.Contains("Exported 500 rows", output, StringComparison.Ordinal);
        using var document = SpreadsheetDocument.Open(file, false);
        var rows = document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Row>().ToList();
        Assert.Equal(501, rows.Count);
        var timestamp = rows[1].Elements<DocumentFormat.OpenXml.Spreadsheet.Cell>().First();
        Assert.Equal(3u, timestamp.StyleIndex!.Value);
        Assert.Equal(2, (await Usage("export", "--format", "xlsx", "--output", "-")).Code);
    }
}
