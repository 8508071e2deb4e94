using System.Net.Http.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using UsageTracking.QueryApp;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Generation.Interpreting;
using UsageTracking.Sqlite;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The query app's request costs, over HTTP to the real app on 127.0.0.1 with the full demo data (50,000 studies):
/// question → SQL with the offline generator (interpretation, SQL, and the compile check against the source), against the
/// cheapest endpoint as the baseline (HTTP + authentication + middleware, no tracked step); the generator alone, over a mix of questions,
/// and the one-off cost of learning the source. Times include the loopback client, so they bound the server time from above.
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
    private List<GenerationRequest> _mix = null!;

    private static readonly string[] Mix =
    [
        "How many studies are recruiting?",
        "How many studies end after 2030?",
        "List the 5 largest studies by enrollment",
        "How many studies are not completed?",
        "How many studies have more than 1000 participants?",
        "How many oncology studies by phase and status?",
        "median enrollment per sponsor",
        "how many studys in contry france",
        "What is the average age of participants?",
        "Show me the weather in Paris",
    ];

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
        var schema = await source.GetSchemaAsync(default);
        _request = new GenerationRequest("How many Pfizer studies started since 2020 by phase?", source, schema, []);
        _mix = Mix.Select(question => new GenerationRequest(question, source, schema, [])).ToList();
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

    /// <summary>Ten questions of the evaluation's kinds, two of them refused; the time is per question.</summary>
    [Benchmark(Description = "offline generator, 10 kinds of question (per question)", OperationsPerInvoke = 10)]
    public async Task<int> GeneratorMix()
    {
        var answered = 0;
        foreach (var request in _mix)
        {
            answered += (await _generator.GenerateAsync(request, default).ConfigureAwait(false)).Sql is null ? 0 : 1;
        }

        return answered;
    }

    /// <summary>What the interpreter learns of a source once (schema, value index over 50,000 rows), then every 10 minutes.</summary>
    [Benchmark(Description = "learn the source: schema and value index (once)")]
    public async Task<int> Learn()
    {
        var fresh = new OfflineSqlGenerator(new SourceModels());
        return (await fresh.GenerateAsync(_request, default).ConfigureAwait(false)).Sql?.Length ?? 0;
    }
}
