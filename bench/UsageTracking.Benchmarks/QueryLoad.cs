using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The query app in a process of its own, serving hostile queries from many users at once: its peak resident memory
/// (VmHWM) and the latency of <c>/api/health</c> meanwhile, with the app's limits and, as the baseline in the same run,
/// with every limit lifted. Then the query slots saturated by endless queries, with health polled throughout.
/// </summary>
internal static class QueryLoad
{
    // Each user runs one of these; the sizes keep the unlimited baseline inside this machine's memory.
    private static readonly string[] Mix =
    [
        "SELECT randomblob(200000000) AS b",
        "SELECT hex(randomblob(400000)) AS h FROM clinical_trials LIMIT 500",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000) SELECT count(*) AS n FROM (SELECT DISTINCT randomblob(500) FROM c)",
        "SELECT a.title || b.title AS t FROM clinical_trials a, clinical_trials b ORDER BY 1",
    ];

    private const string Endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

    public static async Task<int> RunAsync(int users)
    {
        Console.WriteLine($"{users} users at once, each running one of {Mix.Length} hostile queries; {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
        Console.WriteLine();
        Console.WriteLine("| configuration | peak resident (VmHWM) | health p50 / p99 / max during the load | replies |");
        Console.WriteLine("|---|---|---|---|");
        await LoadAsync("app defaults", users, new Dictionary<string, string>());
        await LoadAsync("every limit lifted (baseline)", users, new Dictionary<string, string>
        {
            ["QueryApp__CellByteLimit"] = int.MaxValue.ToString(CultureInfo.InvariantCulture),
            ["QueryApp__ResultByteLimit"] = (64L << 30).ToString(CultureInfo.InvariantCulture),
            ["QueryApp__SessionRunBytes"] = (64L << 30).ToString(CultureInfo.InvariantCulture),
            ["QueryApp__KeptRunBytes"] = (64L << 30).ToString(CultureInfo.InvariantCulture),
            ["QueryApp__SqliteMemoryLimit"] = "0",
            ["QueryApp__MaxConcurrentQueries"] = "64",
            ["QueryApp__MaxQueriesPerUser"] = "64",
        });

        Console.WriteLine();
        Console.WriteLine("| slots saturated by endless queries | health p50 / p99 / max | idle health p50 / p99 / max (same process, before) |");
        Console.WriteLine("|---|---|---|");
        await SaturatedAsync(users);
        return 0;
    }

    private static async Task LoadAsync(string name, int users, Dictionary<string, string> settings)
    {
        await using var app = await ChildApp.StartAsync(settings);
        var replies = new int[600];
        using var cancel = new CancellationTokenSource();
        var health = app.PollHealthAsync(cancel.Token);
        var queries = Enumerable.Range(0, users).Select(async i =>
        {
            using var client = app.Client($"user{i}@example.org");
            var response = await client.PostAsJsonAsync("/api/run", new { source = "demo", sql = Mix[i % Mix.Length] });
            await response.Content.CopyToAsync(Stream.Null);
            Interlocked.Increment(ref replies[(int)response.StatusCode]);
        }).ToList();
        await Task.WhenAll(queries);
        await cancel.CancelAsync();
        var latencies = await health;
        var statuses = string.Join(", ", replies.Select((n, status) => (n, status)).Where(r => r.n > 0).Select(r => $"{r.n}× {r.status}"));
        Console.WriteLine($"| {name} | {app.PeakResidentMiB():N0} MiB | {Percentiles(latencies)} | {statuses} |");
    }

    private static async Task SaturatedAsync(int users)
    {
        await using var app = await ChildApp.StartAsync(new Dictionary<string, string> { ["QueryApp__QueryTimeout"] = "00:00:10" });
        using (var idle = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            var before = await app.PollHealthAsync(idle.Token);
            using var cancel = new CancellationTokenSource();
            var health = app.PollHealthAsync(cancel.Token);
            var queries = Enumerable.Range(0, users).Select(async i =>
            {
                using var client = app.Client($"user{i}@example.org");
                var response = await client.PostAsJsonAsync("/api/run", new { source = "demo", sql = Endless });
                await response.Content.CopyToAsync(Stream.Null);
            }).ToList();
            await Task.WhenAll(queries);
            await cancel.CancelAsync();
            Console.WriteLine($"| {users} users, 4 slots, 10 s timeout | {Percentiles(await health)} | {Percentiles(before)} |");
        }
    }

    private static string Percentiles(List<double> ms)
    {
        ms.Sort();
        double At(double p) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(p * ms.Count) - 1)];
        return ms.Count == 0 ? "no samples" : $"{At(0.5):0.0} / {At(0.99):0.0} / {ms[^1]:0.0} ms ({ms.Count} requests)";
    }

    /// <summary>The query app built beside this program, started as a child process on a free loopback port.</summary>
    private sealed class ChildApp : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _folder;

        private ChildApp(Process process, Uri address, string folder)
        {
            _process = process;
            Address = address;
            _folder = folder;
        }

        public Uri Address { get; }

        public static async Task<ChildApp> StartAsync(Dictionary<string, string> settings)
        {
            var folder = Directory.CreateTempSubdirectory("usage-query-load-").FullName;
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var address = new Uri($"http://127.0.0.1:{port}");
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "UsageTracking.QueryApp.dll"));
            info.ArgumentList.Add($"--urls={address}");
            info.Environment["UsageTracking__DataDirectory"] = folder;
            info.Environment["QueryApp__DemoStudies"] = "1000";
            info.Environment["QueryApp__TrustForwardedHeaders"] = "true";
            info.Environment["Logging__LogLevel__Default"] = "Error";
            foreach (var (key, value) in settings)
            {
                info.Environment[key] = value;
            }

            var process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var app = new ChildApp(process, address, folder);
            using var client = app.Client("probe@example.org");
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    if ((await client.GetAsync("/api/health")).IsSuccessStatusCode)
                    {
                        return app;
                    }
                }
                catch (HttpRequestException) when (attempt < 600)
                {
                }

                await Task.Delay(100);
            }
        }

        public HttpClient Client(string user)
        {
            var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(5) };
            client.DefaultRequestHeaders.Add("X-Forwarded-Email", user);
            return client;
        }

        /// <summary>Asks for <c>/api/health</c> again and again (20 ms apart) until cancelled; returns each answer's latency.</summary>
        public async Task<List<double>> PollHealthAsync(CancellationToken cancellationToken)
        {
            using var client = Client("monitor@example.org");
            var latencies = new List<double>();
            while (!cancellationToken.IsCancellationRequested)
            {
                var watch = Stopwatch.StartNew();
                using (var response = await client.GetAsync("/api/health", CancellationToken.None))
                {
                    response.EnsureSuccessStatusCode();
                }

                latencies.Add(watch.Elapsed.TotalMilliseconds);
                try
                {
                    await Task.Delay(20, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return latencies;
        }

        public double PeakResidentMiB() =>
            long.Parse(File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0],
                CultureInfo.InvariantCulture) / 1024.0;

        public async ValueTask DisposeAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
