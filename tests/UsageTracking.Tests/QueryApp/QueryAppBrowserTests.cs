using System.Globalization;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Playwright;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sqlite;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The whole flow as a user clicks through it, in Chromium, against the app with the full demo data.</summary>
[Collection(BrowserCollection.Name)]
public sealed class QueryAppBrowserTests(Browser browser)
{
    private const string Question = "How many studies are there by phase?";

    [Fact]
    public async Task SuggestedQuestion_ToExcel_EveryStepTracked()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 50_000);
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, host.Address.ToString());
        var suggestions = page.Locator("#suggestions .suggestion");
        await Assertions.Expect(suggestions).ToHaveCountAsync(3);
        await Browser.ScreenshotAsync(page, "query-01-start");

        // "More" until the question we follow appears (the suggestions are random by design).
        var moreClicks = 0;
        while (!(await suggestions.AllTextContentsAsync()).Contains(Question))
        {
            Assert.True(++moreClicks < 60, "the suggestion never appeared");
            var before = string.Join("|", await suggestions.AllTextContentsAsync());
            await page.ClickAsync("#more");
            await page.WaitForFunctionAsync("b => [...document.querySelectorAll('#suggestions .suggestion')].map(e => e.textContent).join('|') !== b", before);
        }

        await suggestions.Filter(new LocatorFilterOptions { HasText = Question }).ClickAsync();
        var sql = page.Locator("#sql");
        await Assertions.Expect(sql).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("GROUP BY phase"));
        Assert.Equal(Question, await page.InputValueAsync("#question"));
        await Assertions.Expect(page.Locator("#interpretation-text")).ToHaveTextAsync("count of studies · by phase");
        await Browser.ScreenshotAsync(page, "query-02-sql");

        await page.ClickAsync("#columns summary");
        await page.CheckAsync("#column-list input[value='status']");
        await page.ClickAsync("#add-columns");
        await Assertions.Expect(sql).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("GROUP BY phase, status"));

        // The editor checks the SQL once the user pauses typing; no blur, no button.
        var edited = (await sql.InputValueAsync()).Replace("ORDER BY phase", "ORDER BY studies DESC", StringComparison.Ordinal);
        await sql.FillAsync(edited);
        await Assertions.Expect(page.Locator("#sql-status")).ToHaveTextAsync("Looks like a read-only query; ready to run.");
        await Assertions.Expect(page.Locator("#interpretation")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bstale\\b"));

        await page.ClickAsync("#run");
        var rows = page.Locator("#result-table tbody tr.result-row");
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        var source = new DataSource("demo", "demo", "clinical_trials", new SqliteSqlSource(Path.Combine(host.DataDirectory, "demo-clinical-trials.db"), DemoData.Table));
        var (names, expected) = await QueryRun.AllAsync(source, edited);

        // The grid: 25 rows a page in the query's order, a second page with the rest, and a column sorted by a click.
        Assert.True(expected.Count > 25, $"the flow needs more than one page of rows, got {expected.Count}");
        await Assertions.Expect(rows).ToHaveCountAsync(25);
        Assert.Equal(Convert.ToString(expected[0][1], CultureInfo.InvariantCulture), await rows.First.Locator("td").Nth(1).TextContentAsync());
        await page.ClickAsync("#result-table ~ .pager button[aria-label='Go to next page']");
        await Assertions.Expect(rows).ToHaveCountAsync(expected.Count - 25);
        Assert.Equal(Convert.ToString(expected[25][1], CultureInfo.InvariantCulture), await rows.First.Locator("td").Nth(1).TextContentAsync());
        await page.ClickAsync("#result-table th:nth-child(2) .col-title");
        await page.ClickAsync("#result-table ~ .pager button[aria-label='Go to first page']");
        var fewest = expected.Min(r => (long)r[1]!).ToString(CultureInfo.InvariantCulture);
        await Assertions.Expect(rows.First.Locator("td").Nth(1)).ToHaveTextAsync(fewest);
        await Assertions.Expect(page.Locator("#chart-card")).ToHaveAttributeAsync("data-drawn", "bar");
        Assert.Equal("bar", await page.EvaluateAsync<string>("Chart.getChart(document.getElementById('chart')).config.type"));
        await Browser.ScreenshotAsync(page, "query-03-result");
        await page.Locator("#chart-card").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "query-04-chart");

        await page.ClickAsync("#summarize");
        await Assertions.Expect(page.Locator("#summary li").First).ToContainTextAsync("rows");
        await page.Locator("#summary-card").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "query-05-summary");

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-xlsx"));
        var file = Path.Combine(host.DataDirectory, "download.xlsx");
        await download.SaveAsAsync(file);
        Assert.Equal("query-result.xlsx", download.SuggestedFilename);

        await page.ClickAsync("#thumbs-up");
        await Assertions.Expect(page.Locator("#feedback-message")).ToContainTextAsync("saved as your example");
        await Browser.ScreenshotAsync(page, "query-06-feedback");
        await page.ClickAsync("#examples-card > summary");
        await Assertions.Expect(page.Locator("#examples h3").Nth(1)).ToHaveTextAsync("Yours (1)");
        await Assertions.Expect(page.Locator("#examples li").First).ToContainTextAsync("saved by query-app-user@localhost");
        await page.Locator("#examples-card").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "query-07-examples");

        // The workbook holds exactly what the query returns, typed.
        using (var document = SpreadsheetDocument.Open(file, false))
        {
            var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>().ToList();
            Assert.Equal(names, sheet[0].Elements<Cell>().Select(c => c.InnerText));
            Assert.Equal(expected.Count, sheet.Count - 1);
            for (var i = 0; i < expected.Count; i++)
            {
                var cells = sheet[i + 1].Elements<Cell>().ToList();
                Assert.Equal((string)expected[i][0]!, cells[0].InnerText);
                Assert.Null(cells[1].DataType);
                Assert.Equal((long)expected[i][1]!, long.Parse(cells[1].CellValue!.Text, CultureInfo.InvariantCulture));
                Assert.Equal((string)expected[i][2]!, cells[2].InnerText);
            }
        }

        var events = await host.EventsAsync();
        // Showing suggestions is not a step; clicking one is (view_random_questions, once, however many "more" clicks).
        string[] steps = [Actions.AppStart, Actions.ViewRandomQuestions, Actions.GenerateQuestion, Actions.SqlQuery,
            Actions.SelectColumns, Actions.EditSql, Actions.ExecuteSql, Actions.GenerateChart, Actions.GenerateSummary, Actions.DownloadResults, Actions.ThumbsUp];
        Assert.Equal(steps, events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal("query-app-user@localhost", e.User));
        Assert.Single(events.Select(e => e.Session).Distinct());
    }

    [Fact]
    public async Task TwoBrowsers_AreTwoUsers_WhoNeverSeeEachOthersRunsOrDownloads()
    {
        await using var host = await QueryAppHost.StartAsync(1_000, ("QueryApp:TrustForwardedHeaders", "true"));
        var ana = await browser.NewPageAsync(new Dictionary<string, string> { ["X-Forwarded-Email"] = "ana@example.org" });
        var ben = await browser.NewPageAsync(new Dictionary<string, string> { ["X-Forwarded-Email"] = "ben@example.org" });
        await Task.WhenAll(Browser.GotoLiveAsync(ana, host.Address.ToString()), Browser.GotoLiveAsync(ben, host.Address.ToString()));
        await Assertions.Expect(ana.Locator(".who")).ToHaveTextAsync("ana@example.org");
        await Assertions.Expect(ben.Locator(".who")).ToHaveTextAsync("ben@example.org");

        await ana.FillAsync("#question", "How many studies are there by phase?");
        await ana.ClickAsync("#generate");
        await ana.ClickAsync("#run");
        await Assertions.Expect(ana.Locator("#result-table tbody tr.result-row").First).ToBeVisibleAsync();
        var download = await ana.Locator("#download-csv").GetAttributeAsync("href");

        // Ben's page shows nothing of Ana's; her download link, opened in his browser, is refused in one sentence.
        Assert.Equal(0, await ben.Locator("#sql-card").CountAsync());
        Assert.Equal(0, await ben.Locator("#result-card").CountAsync());
        var refused = await ben.APIRequest.GetAsync(new Uri(host.Address, download!).ToString());
        Assert.Equal(404, refused.Status);
        Assert.Contains("That result is no longer available", await refused.TextAsync(), StringComparison.Ordinal);
        var mine = await ana.APIRequest.GetAsync(new Uri(host.Address, download!).ToString());
        Assert.Equal(200, mine.Status);

        var events = await host.EventsWithAsync(Actions.DownloadResults);
        Assert.Equal(["ana@example.org", "ben@example.org"], events.Select(e => e.User).Distinct().Order());
        Assert.Equal(2, events.Select(e => e.Session).Distinct().Count());
        Assert.All(events.Where(e => e.User == "ben@example.org"), e => Assert.Equal(Actions.AppStart, e.Action));
        Assert.Single(events, e => e.Action == Actions.DownloadResults);
    }

    [Fact]
    public async Task WithAnAccessKey_TheLoginFormLetsTheRightKeyIn_AndTheLivePageWorksForThatSession()
    {
        await using var host = await QueryAppHost.StartAsync(1_000, ("QueryApp:AccessKey", "open sesame"));
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(host.Address, "/dashboard?range=24h").ToString());
        Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
        await page.FillAsync("#key", "guess");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("form [role=alert]")).ToHaveTextAsync("That key is not right; ask the app's owner for the current one.");
        await Browser.ScreenshotAsync(page, "login-01-wrong-key");

        await page.FillAsync("#key", "open sesame");
        await page.ClickAsync("button[type=submit]");
        await page.Locator("[data-interactive='true']").First.WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal("/dashboard", new Uri(page.Url).AbsolutePath);
        await page.GotoAsync(host.Address.ToString());
        await page.Locator("#app[data-interactive='true']").WaitForAsync(new() { Timeout = 15_000 });
        await page.FillAsync("#question", "How many studies are there by phase?");
        await page.ClickAsync("#generate");
        await page.ClickAsync("#run");
        await Assertions.Expect(page.Locator("#result-table tbody tr.result-row").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#chart-card")).ToHaveAttributeAsync("data-drawn", "bar");
        var download = await page.APIRequest.GetAsync(new Uri(host.Address, (await page.Locator("#download-csv").GetAttributeAsync("href"))!).ToString());
        Assert.Equal(200, download.Status);

        var events = await host.EventsWithAsync(Actions.DownloadResults);
        Assert.Equal([Actions.AppStart, Actions.GenerateQuestion, Actions.SqlQuery, Actions.ExecuteSql, Actions.GenerateChart, Actions.DownloadResults], events.Select(e => e.Action));
        Assert.Single(events.Select(e => e.Session).Distinct());
    }

    [Fact]
    public async Task AServerRestartMidSession_ShowsTheReconnectDialog_ThenThePageComesBack_NoEventLostOrDoubled()
    {
        await using var host = await QueryAppHost.StartAsync(1_000);
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, host.Address.ToString());
        await page.FillAsync("#question", "How many studies are there by phase?");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#sql")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("GROUP BY phase"));

        await host.StopAsync();
        await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Browser.ScreenshotAsync(page, "query-13-reconnecting");
        await host.StartAgainAsync();

        // The new server has no circuit for the page: the page reloads itself, live again, in the same browser session.
        await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToBeHiddenAsync(new() { Timeout = 30_000 });
        await page.Locator("#app[data-interactive='true']").WaitForAsync(new() { Timeout = 30_000 });
        await page.FillAsync("#question", "How many studies are there by country?");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#sql")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("GROUP BY country"));
        await Browser.ScreenshotAsync(page, "query-14-back");

        var events = await host.EventsAsync();
        Assert.Equal([Actions.AppStart, Actions.GenerateQuestion, Actions.SqlQuery, Actions.GenerateQuestion, Actions.SqlQuery], events.Select(e => e.Action));
        Assert.Single(events.Select(e => e.Session).Distinct());
    }

    [Fact]
    public async Task AQuestionTheAppDoesNotUnderstand_GetsNoSql_AndSaysWhichWords()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 1_000);
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, host.Address.ToString());
        await page.FillAsync("#question", "Show me the weather in Paris");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#ask-message")).ToContainTextAsync("I did not understand “weather”");
        Assert.True(await page.Locator("#sql-card").IsHiddenAsync());
        await Browser.ScreenshotAsync(page, "query-08-refused");

        await page.FillAsync("#question", "how many studys in contry france");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#interpretation-text")).ToHaveTextAsync("count of studies · where country is France (read “contry” as “country”)");
        await Browser.ScreenshotAsync(page, "query-09-understood");
    }

    [Fact]
    public async Task ARefusedWord_CanBeTaught_AndTheQuestionIsAskedAgain()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 1_000);
        var page = await browser.NewPageAsync();
        await Browser.GotoLiveAsync(page, host.Address.ToString());
        await page.FillAsync("#question", "How many dermatology studies by phase?");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#teach")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#teach-term")).ToHaveValueAsync("dermatology");
        await page.SelectOptionAsync("#teach-column", "condition");
        await page.SelectOptionAsync("#teach-values", new[] { "Psoriasis", "Melanoma" });
        await Browser.ScreenshotAsync(page, "query-10-teach");
        await page.ClickAsync("#teach-submit");

        await Assertions.Expect(page.Locator("#interpretation-text")).ToHaveTextAsync("count of studies · where condition is one of Melanoma, Psoriasis · by phase");
        await Assertions.Expect(page.Locator("#ask-message")).ToContainTextAsync("“dermatology” now means condition is one of Melanoma, Psoriasis (for your questions, until an admin shares it).");
        Assert.True(await page.Locator("#teach").IsHiddenAsync());
        await Browser.ScreenshotAsync(page, "query-11-taught");

        // The glossary panel lists the term as the user's own, and removing it brings the refusal back.
        await page.ClickAsync("#glossary-card summary");
        var taught = page.Locator("#glossary li", new() { HasTextString = "dermatology — condition is one of Melanoma, Psoriasis" });
        await Assertions.Expect(taught).ToContainTextAsync("taught by query-app-user@localhost, not shared yet");
        await taught.ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "query-12-glossary");
        await taught.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Assertions.Expect(page.Locator("#glossary-message")).ToHaveTextAsync("Removed “dermatology”.");
        await page.ClickAsync("#generate");
        await Assertions.Expect(page.Locator("#ask-message")).ToContainTextAsync("I did not understand “dermatology”");
    }
}
