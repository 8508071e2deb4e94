using Microsoft.Playwright;

namespace UsageTracking.Tests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright (Playwright cannot download its own browsers here). ./test.sh installs
/// the chromium package; screenshots go to TestResults/screenshots as artifacts of the run.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Executable = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Instance { get; private set; } = null!;

    public static string ScreenshotFolder { get; } = Repository.Path("TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run ./test.sh, which installs Debian's chromium package.");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh browser session (its own cookies) with a 1280×800 viewport, sending <paramref name="headers"/> with every request (as a proxy would).</summary>
    public async Task<IPage> NewPageAsync(IDictionary<string, string>? headers = null)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
            ExtraHTTPHeaders = headers,
        });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Opens <paramref name="url"/> and waits until the page is live: prerendered HTML arrives first, and clicks do
    /// nothing until the page's circuit to the server is up and has rendered once (<c>data-interactive="true"</c>).
    /// </summary>
    public static async Task GotoLiveAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive='true']").First.WaitForAsync(new() { Timeout = 15_000 });
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = System.IO.Path.Combine(ScreenshotFolder, name + ".png"), FullPage = false });

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "Browser";
}
