using System.Net.Http.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using UsageTracking.QueryApp;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.Sqlite;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The query app's request costs, over HTTP to the real app on 127.0.0.1 with the full demo data (50,000 studies):
/// question → SQL with the offline generator, against the cheapest endpoint as the baseline (HTTP + middleware +
/// one tracked step), and the generator alone. Times include the loopback client, so they bound the server time from above.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 5, iterationCount: 30)]
public class QueryAppBenchmarks
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string _folder = null!;
    private OfflineSqlGenerator _generator = null!;
    private GenerationRequest _request = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "usage-bench", Guid.NewGuid().ToString("N")[..8]);
        _app = QueryApplication.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["UsageTracking:DataDirectory"] = _folder,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await _app.StartAsync();
        _client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(_app.Urls.First()) };
        await _client.GetAsync("/");
        _generator = new OfflineSqlGenerator();
        var source = new DataSource("demo", "demo", "clinical_trials", new SqliteSqlSource(Path.Combine(_folder, "demo-clinical-trials.db"), DemoData.Table));
        _request = new GenerationRequest("How many Pfizer studies started since 2020 by phase?", source, await source.GetSchemaAsync(default), []);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "GET /api/questions (baseline)")]
    public Task<string> Questions() => _client.GetStringAsync("/api/questions?source=demo");

    [Benchmark(Description = "POST /api/generate, offline")]
    public async Task<string> Generate()
    {
        using var response = await _client.PostAsJsonAsync("/api/generate", new { source = "demo", question = "How many Pfizer studies started since 2020 by phase?" });
        return await response.Content.ReadAsStringAsync();
    }

    [Benchmark(Description = "offline generator alone")]
    public Task<GeneratedSql> GeneratorAlone() => _generator.GenerateAsync(_request, default);
}
