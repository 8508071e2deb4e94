using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsvHelper;
using UsageTracking.Reporting.Tables;
using UsageTracking.Sql;

namespace UsageTracking.Reporting;

/// <summary>The formats usage events export to.</summary>
public enum ExportFormat
{
    /// <summary>CSV, one row per event; cells a spreadsheet would run as formulas are escaped.</summary>
    Csv,

    /// <summary>A JSON array of objects; <c>properties</c> as JSON.</summary>
    Json,

    /// <summary>An Excel workbook with typed cells.</summary>
    Xlsx,
}

/// <summary>
/// Streams usage events, oldest first, to CSV, JSON or Excel — used by <c>usage export</c> and <c>/api/export</c>.
/// Rows are written as they are read, so memory stays flat whatever the count, and CSV and JSON reach the destination only
/// through asynchronous writes (an HTTP response refuses synchronous ones).
/// </summary>
public static class UsageExport
{
    /// <summary>The columns, as the usage table names them (<see cref="UsageColumns"/>).</summary>
    public static IReadOnlyList<string> Columns => UsageColumns.Names;

    /// <summary>Parses <c>csv</c>, <c>json</c> or <c>xlsx</c>; null for anything else.</summary>
    public static ExportFormat? ParseFormat(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "csv" => ExportFormat.Csv,
        "json" => ExportFormat.Json,
        "xlsx" or "excel" => ExportFormat.Xlsx,
        _ => null,
    };

    /// <summary>The media type of a format.</summary>
    public static string ContentType(ExportFormat format) => format switch
    {
        ExportFormat.Json => "application/json",
        ExportFormat.Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "text/csv; charset=utf-8",
    };

    /// <summary>Writes <paramref name="events"/> to <paramref name="stream"/>; returns how many.</summary>
    /// <param name="stream">Where to write; left open.</param>
    /// <param name="events">The events, oldest first.</param>
    /// <param name="format">The format.</param>
    /// <param name="propertyKeys">For CSV and JSON: one column per flattened properties key instead of the JSON text.</param>
    /// <param name="progress">Called every 10,000 rows with the count so far.</param>
    /// <param name="cancellationToken">Stops the export.</param>
    public static async Task<long> WriteAsync(Stream stream, IAsyncEnumerable<UsageEvent> events, ExportFormat format,
        IReadOnlyList<string>? propertyKeys = null, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(events);
        return format switch
        {
            ExportFormat.Json => await WriteJsonAsync(stream, events, propertyKeys is not null, progress, cancellationToken).ConfigureAwait(false),
            ExportFormat.Xlsx => (await XlsxExport.WriteAsync(stream, new EventTable(events, progress, cancellationToken), ExportLimits.None, cancellationToken).ConfigureAwait(false)).Rows,
            _ => await WriteCsvAsync(stream, events, propertyKeys, progress, cancellationToken).ConfigureAwait(false),
        };
    }

    private static async Task<long> WriteCsvAsync(Stream stream, IAsyncEnumerable<UsageEvent> events, IReadOnlyList<string>? propertyKeys,
        Action<long>? progress, CancellationToken cancellationToken)
    {
        long count = 0;
        await using var buffer = new AsyncWriteBuffer(stream);
        await using var csv = CsvWriter.Create(buffer, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        foreach (var name in propertyKeys is null ? Columns : [.. Columns.Where(c => c != "properties"), .. propertyKeys.Select(k => "properties." + k)])
        {
            csv.WriteField(name);
        }

        csv.EndRecord();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            csv.WriteField(e.Timestamp.ToUniversalTime(), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
            csv.WriteField(e.AppName);
            csv.WriteField(e.User);
            csv.WriteField(e.Action);
            csv.WriteField(e.EventId);
            csv.WriteField(e.SessionId);
            csv.WriteField(e.Detail);
            csv.WriteField(e.DurationMs, "R");
            csv.WriteField(e.Model);
            csv.WriteField(e.InputTokens, "");
            csv.WriteField(e.OutputTokens, "");
            csv.WriteField(e.CostUsd, "");
            if (propertyKeys is null)
            {
                csv.WriteField(e.PropertiesJson);
                csv.WriteField(e.IsError ? "true" : "false");
            }
            else
            {
                csv.WriteField(e.IsError ? "true" : "false");
                var values = PropertyColumns.Flatten(e.PropertiesJson);
                foreach (var key in propertyKeys)
                {
                    csv.WriteField(values.GetValueOrDefault(key));
                }
            }

            csv.EndRecord();
            if (++count % 10_000 == 0)
            {
                progress?.Invoke(count);
            }

            if (count % 100 == 0)
            {
                // The CSV writer's buffer goes into ours synchronously; ours goes on asynchronously.
                await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (buffer.Pending >= AsyncWriteBuffer.DrainAt)
                {
                    await buffer.DrainAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await csv.FlushAsync(cancellationToken).ConfigureAwait(false);
        await buffer.DrainAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    private static async Task<long> WriteJsonAsync(Stream stream, IAsyncEnumerable<UsageEvent> events, bool flatten, Action<long>? progress, CancellationToken cancellationToken)
    {
        long count = 0;
        await using var buffer = new AsyncWriteBuffer(stream);
        await using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartArray();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            WriteJson(writer, e, flatten);
            if (++count % 10_000 == 0)
            {
                progress?.Invoke(count);
            }

            if (writer.BytesPending >= AsyncWriteBuffer.DrainAt)
            {
                writer.Flush();
                await buffer.DrainAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
        writer.Flush();
        await buffer.DrainAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    private static void WriteJson(Utf8JsonWriter writer, UsageEvent e, bool flatten)
    {
        writer.WriteStartObject();
        writer.WriteString("timestamp", e.Timestamp.UtcDateTime);
        writer.WriteString("app_name", e.AppName);
        writer.WriteString("user", e.User);
        writer.WriteString("action", e.Action);
        writer.WriteString("event_id", e.EventId);
        writer.WriteString("session_id", e.SessionId);
        writer.WriteString("detail", e.Detail);
        WriteNumber(writer, "duration_ms", e.DurationMs);
        writer.WriteString("model", e.Model);
        WriteNumber(writer, "input_tokens", e.InputTokens);
        WriteNumber(writer, "output_tokens", e.OutputTokens);
        if (e.CostUsd is { } cost)
        {
            writer.WriteNumber("cost_usd", cost);
        }
        else
        {
            writer.WriteNull("cost_usd");
        }

        if (flatten)
        {
            writer.WriteBoolean("is_error", e.IsError);
            foreach (var (key, value) in PropertyColumns.Flatten(e.PropertiesJson))
            {
                writer.WriteString("properties." + key, value);
            }

            writer.WriteEndObject();
            return;
        }

        writer.WritePropertyName("properties");
        if (e.PropertiesJson is { } props && IsJson(props))
        {
            writer.WriteRawValue(props, skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(e.PropertiesJson);
        }

        writer.WriteBoolean("is_error", e.IsError);
        writer.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Events as rows for the Excel writer: timestamps as dates, numbers as numbers.</summary>
    private sealed class EventTable(IAsyncEnumerable<UsageEvent> events, Action<long>? progress, CancellationToken cancellationToken) : IRowReader
    {
        private readonly IAsyncEnumerator<UsageEvent> _events = events.GetAsyncEnumerator(cancellationToken);
        private long _count;

        public IReadOnlyList<string> Names => Columns;

        public object?[] Current { get; } = new object?[UsageColumns.All.Count];

        public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            if (!await _events.MoveNextAsync().ConfigureAwait(false))
            {
                return false;
            }

            var e = _events.Current;
            Current[0] = e.Timestamp.UtcDateTime;
            Current[1] = e.AppName;
            Current[2] = e.User;
            Current[3] = e.Action;
            Current[4] = e.EventId;
            Current[5] = e.SessionId;
            Current[6] = e.Detail;
            Current[7] = e.DurationMs;
            Current[8] = e.Model;
            Current[9] = e.InputTokens;
            Current[10] = e.OutputTokens;
            Current[11] = e.CostUsd;
            Current[12] = e.PropertiesJson;
            Current[13] = e.IsError;
            if (++_count % 10_000 == 0)
            {
                progress?.Invoke(_count);
            }

            return true;
        }

        public ValueTask DisposeAsync() => _events.DisposeAsync();
    }
}
