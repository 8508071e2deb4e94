using BenchmarkDotNet.Attributes;
using UsageTracking.Reporting.Tables;
using UsageTracking.Sql;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Writing 100,000 rows × 10 columns (text, numbers, dates, booleans) to a file: the streamed .xlsx against CSV of the
/// same rows as the baseline. Rows come from memory so only the writer is measured; <c>export-memory</c> measures memory.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class ExportBenchmarks
{
    private const int Rows = 100_000;
    private string _file = null!;

    [GlobalSetup]
    public void Setup() => _file = Path.Combine(Path.GetTempPath(), $"usage-bench-export-{Guid.NewGuid():N}");

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_file);

    [Benchmark(Baseline = true, Description = "CSV, 100k × 10")]
    public async Task<long> Csv()
    {
        await using var file = File.Create(_file);
        return (await CsvExport.WriteAsync(file, new SyntheticRows(Rows), ExportLimits.None, default)).Rows;
    }

    [Benchmark(Description = "Excel .xlsx, 100k × 10")]
    public async Task<long> Xlsx()
    {
        await using var file = File.Create(_file);
        return (await XlsxExport.WriteAsync(file, new SyntheticRows(Rows), ExportLimits.None, default)).Rows;
    }
}

/// <summary>Deterministic rows shaped like the demo data: 10 columns of text, numbers, dates and a boolean.</summary>
internal sealed class SyntheticRows(int count) : IRowReader
{
    private static readonly string[] Phases = ["Phase 1", "Phase 2", "Phase 3", "Phase 4"];
    private int _index = -1;

    public IReadOnlyList<string> Names { get; } = ["nct_id", "title", "phase", "status", "sponsor", "country", "start_date", "completed_at", "enrollment", "is_large"];

    public object?[] Current { get; } = new object?[10];

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (++_index >= count)
        {
            return ValueTask.FromResult(false);
        }

        var i = _index;
        Current[0] = $"NCT{10_000_000 + i:D8}";
        Current[1] = $"Randomized Study of Drug {i % 97} in Condition {i % 25}";
        Current[2] = Phases[i % 4];
        Current[3] = i % 3 == 0 ? "Completed" : "Recruiting";
        Current[4] = $"Sponsor {i % 28}";
        Current[5] = $"Country {i % 20}";
        Current[6] = new DateOnly(2005, 1, 1).AddDays(i % 7_000).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Current[7] = new DateTime(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i * 37L);
        Current[8] = (long)(i % 5_000);
        Current[9] = i % 5_000 > 1_000;
        return ValueTask.FromResult(true);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
