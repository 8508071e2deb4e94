using System.Globalization;
using System.Text;
using CsvHelper;
using UsageTracking.Sql;

namespace UsageTracking.Reporting.Tables;

/// <summary>Writes a query's rows as CSV (RFC 4180, invariant culture); text a spreadsheet would run as a formula is escaped.</summary>
public static class CsvExport
{
    /// <summary>
    /// Writes the rows of <paramref name="reader"/> to <paramref name="output"/> within <paramref name="limits"/>. The file
    /// never passes <see cref="ExportLimits.MaxBytes"/>: each row is measured before it is written (UTF-8 bytes, plus room
    /// for quoting and escaping), and the row that would not fit is where the file is cut.
    /// </summary>
    public static async Task<ExportResult> WriteAsync(Stream output, IRowReader reader, ExportLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(limits);
        string? cutBy = null;
        await using var csv = CsvWriter.Create(output, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        var fields = new string[reader.Names.Count];
        var written = Bound(reader.Names);
        foreach (var name in reader.Names)
        {
            csv.WriteField(name);
        }

        csv.EndRecord();
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = TableValues.Format(reader.Current[i]);
            }

            var size = Bound(fields);
            if (rows >= limits.MaxRows || written + size > limits.MaxBytes)
            {
                cutBy = rows >= limits.MaxRows ? "rows" : "bytes";
                break;
            }

            foreach (var field in fields)
            {
                csv.WriteField(field);
            }

            csv.EndRecord();
            written += size;
            if (++rows % 256 == 0)
            {
                await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new ExportResult(rows, cutBy);
    }

    // The most bytes a record of these fields can take: each field's UTF-8 bytes, a doubled quote for each quote, two
    // enclosing quotes, an injection escape and a separator; then the line break.
    private static long Bound(IReadOnlyList<string> fields)
    {
        long bytes = 2;
        foreach (var field in fields)
        {
            bytes += Encoding.UTF8.GetByteCount(field) + field.AsSpan().Count('"') + 4;
        }

        return bytes;
    }
}
