using System.Diagnostics;
using UsageTracking.Reporting.Tables;

namespace UsageTracking.Benchmarks;

/// <summary>
/// Exports N synthetic rows × 10 columns to an .xlsx file and reports the time and the peak growth of the managed heap
/// and of the working set (sampled every 5 ms): the download must hold memory flat however many rows.
/// </summary>
internal static class ExportMemory
{
    public static async Task<int> RunAsync(int rows)
    {
        var file = Path.Combine(Path.GetTempPath(), $"usage-bench-export-{Guid.NewGuid():N}.xlsx");
        var memory = PeakMemory.Start();
        var clock = Stopwatch.StartNew();
        long written;
        await using (var stream = File.Create(file))
        {
            written = (await XlsxExport.WriteAsync(stream, new SyntheticRows(rows), ExportLimits.None, default)).Rows;
        }

        var elapsed = clock.Elapsed;
        var (heap, workingSet) = await memory.StopAsync();
        var size = new FileInfo(file).Length;
        File.Delete(file);
        Console.WriteLine($"rows written:              {written:N0} × 10 columns in {elapsed.TotalMilliseconds:N0} ms ({written / elapsed.TotalSeconds:N0} rows/s)");
        Console.WriteLine($"file size:                 {size / 1024.0 / 1024.0:N1} MiB");
        Console.WriteLine($"peak managed heap growth:  {heap:N1} MiB");
        Console.WriteLine($"peak working set growth:   {workingSet:N1} MiB");
        return 0;
    }
}
