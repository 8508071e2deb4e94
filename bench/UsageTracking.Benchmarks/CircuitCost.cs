using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using UsageTracking.QueryApp;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Benchmarks;

/// <summary>
/// What a Blazor Server circuit costs the query app: the managed heap after a full collection with N browser tabs open
/// (idle, then after one full flow in each), against the same process with none open (the baseline, measured first);
/// and the time from a click to the result on the page, over the circuit, against the same work called directly.
/// </summary>
internal static class CircuitCost
{
    private const string Question = "How many studies are there by phase?";

    public static async Task<int> RunAsync(int tabs)
    {
        var folder = Directory.CreateTempSubdirectory("usage-circuits-").FullName;
        var app = QueryApplication.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["UsageTracking:DataDirectory"] = folder,
                ["QueryApp:DemoStudies"] = "50000",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
        Console.WriteLine($"{tabs} tabs, Chromium {browser.Version}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}, 50,000-study demo");
        Console.WriteLine();

        // Warm-up: one tab through the flow, then closed, so the baseline holds the app's caches (source model, demo pages).
        var warm = await OpenAsync(browser, address);
        await FlowAsync(warm);
        await warm.Context.CloseAsync();
        await Task.Delay(1_000);
        var baseline = Heap();

        var pages = new List<IPage>();
        for (var i = 0; i < tabs; i++)
        {
            pages.Add(await OpenAsync(browser, address));
        }

        var idle = Heap();
        foreach (var page in pages)
        {
            await FlowAsync(page);
        }

        var used = Heap();
        Console.WriteLine("| managed heap after a full GC | total | per open tab |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| no tab open (baseline) | {Mib(baseline)} | – |");
        Console.WriteLine($"| {tabs} tabs open, idle | {Mib(idle)} | {Kib((idle - baseline) / tabs)} |");
        Console.WriteLine($"| {tabs} tabs after one full flow each (generate, run, chart, summary) | {Mib(used)} | {Kib((used - baseline) / tabs)} |");
        Console.WriteLine();

        // Time from the click to the result on the page, against the flow called directly in the same process.
        var timingPage = pages[0];
        var flow = app.Services.GetRequiredService<QueryFlow>();
        var session = new UserSession("bench@localhost", UserSession.NewId(), true);
        var generateCircuit = new List<double>();
        var generateDirect = new List<double>();
        var runCircuit = new List<double>();
        var runDirect = new List<double>();
        var sql = (await flow.GenerateAsync(session, "demo", Question, CancellationToken.None)).Sql!;
        for (var i = 0; i < 30; i++)
        {
            var question = i % 2 == 0 ? Question : "How many studies are there by country?";
            await timingPage.FillAsync("#question", question);
            await timingPage.WaitForFunctionAsync("q => document.getElementById('question').value === q", question);
            generateCircuit.Add(await timingPage.EvaluateAsync<double>(ClickUntil, new[] { "generate", i % 2 == 0 ? "GROUP BY phase" : "GROUP BY country" }));
            runCircuit.Add(await timingPage.EvaluateAsync<double>(ClickUntil, new[] { "run", "" }));

            var watch = Stopwatch.StartNew();
            watch.Restart();
            await flow.GenerateAsync(session, "demo", question, CancellationToken.None);
            generateDirect.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await flow.RunAsync(session, "demo", sql, question, true, CancellationToken.None);
            runDirect.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine("| step (30 each, median / p90) | click → shown in Chromium, over the circuit (timed in the page) | the flow called directly (baseline) | the circuit's share |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row("generate → SQL in the editor", generateCircuit, generateDirect));
        Console.WriteLine(Row("run → first grid page", runCircuit, runDirect));

        foreach (var page in pages)
        {
            await page.Context.CloseAsync();
        }

        await app.StopAsync();
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        return 0;
    }

    // Measured in the page, so the browser driver's own latency is not counted: the click, then a 1 ms poll until the SQL
    // editor holds the expected text (generate) or the grid shows rows (run; generating clears the previous result).
    private const string ClickUntil = """
        async ([button, expected]) => {
          const done = () => button === "generate"
            ? (document.getElementById("sql")?.value ?? "").includes(expected)
            : document.querySelectorAll("#result-table tr.result-row").length > 0;
          const start = performance.now();
          document.getElementById(button).click();
          while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
          return performance.now() - start;
        }
        """;

    private static async Task<IPage> OpenAsync(IBrowser browser, string address)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(address);
        await page.Locator("#app[data-interactive='true']").WaitForAsync();
        return page;
    }

    private static async Task FlowAsync(IPage page)
    {
        await page.FillAsync("#question", Question);
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => document.getElementById('sql')?.value.includes('GROUP BY phase')");
        await page.ClickAsync("#run");
        await page.Locator("#chart-card[data-drawn]").WaitForAsync();
        await page.ClickAsync("#summarize");
        await page.Locator("#summary li").First.WaitForAsync();
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    private static string Kib(long bytes) => (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KiB";

    private static string Row(string name, List<double> circuit, List<double> direct)
    {
        var (c50, c90) = (Percentile(circuit, 0.5), Percentile(circuit, 0.9));
        var (d50, d90) = (Percentile(direct, 0.5), Percentile(direct, 0.9));
        return $"| {name} | {c50:0.0} / {c90:0.0} ms | {d50:0.00} / {d90:0.00} ms | {c50 - d50:0.0} ms |";
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}
