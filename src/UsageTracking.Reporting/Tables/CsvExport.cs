using System.Globalization;
using CsvHelper;
using UsageTracking.Sql;

namespace UsageTracking.Reporting.Tables;

/// <summary>Writes a query's rows as CSV (RFC 4180, invariant culture); text a spreadsheet would run as a formula is escaped.</summary>
public static class CsvExport
{
    /// <summary>Writes at most <paramref name="maxRows"/> rows; returns rows written.</summary>
    public static async Task<long> WriteAsync(Stream output, IRowReader reader, int maxRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        await using var csv = CsvWriter.Create(output, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        foreach (var name in reader.Names)
        {
            csv.WriteField(name);
        }

        csv.EndRecord();
        long rows = 0;
        while (rows < maxRows && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var value in reader.Current)
            {
                csv.WriteField(TableValues.Format(value));
            }

            csv.EndRecord();
            if (++rows % 10_000 == 0)
            {
                await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }
}
