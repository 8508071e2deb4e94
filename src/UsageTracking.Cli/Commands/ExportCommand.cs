using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsvHelper;
using Spectre.Console;

namespace UsageTracking.Cli.Commands;

internal static class ExportCommand
{
    internal static readonly string[] Columns =
    [
        "timestamp", "app_name", "user", "action", "event_id", "session_id", "detail",
        "duration_ms", "model", "input_tokens", "output_tokens", "cost_usd", "properties",
    ];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var days = new Option<int>("--days") { Description = "How many UTC days, today included.", DefaultValueFactory = _ => 30 };
        var format = new Option<string>("--format") { Description = "csv or json.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var file = new Option<string>("--output", "-o") { Description = "File to write; '-' for standard output.", Required = true };
        var allApps = new Option<bool>("--all-apps") { Description = "Export every app's rows, not just UsageTracking:AppName." };
        var user = new Option<string?>("--user") { Description = "Only this user's rows." };
        var flatten = new Option<bool>("--flatten-properties") { Description = "One column per properties key (nested keys joined with '.'), instead of the JSON text." };
        var command = new Command("export", "Stream rows to a CSV or JSON file, oldest first.") { days, format, file, allApps, user, flatten };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(days);
            if (n < 1)
            {
                throw new CliUsageException("--days must be 1 or more.");
            }

            var path = parse.GetRequiredValue(file);
            await using var host = CliHost.Create(parse);
            await host.EnsureStoreAsync(ct);
            var query = UsageQuery.LastDays(n, DateTimeOffset.UtcNow, parse.GetValue(allApps) ? null : host.Options.AppName, host.StoredUser(parse.GetValue(user)));
            var rows = host.Store.ReadEventsAsync(query, ct);
            // Flattened CSV needs every key for its header first: one pass to collect them, one to write.
            IReadOnlyList<string>? keys = parse.GetValue(flatten)
                ? await PropertyColumns.CollectKeysAsync(host.Store.ReadEventsAsync(query, ct), ct)
                : null;
            var toStdout = path == "-";
            await using var stream = toStdout ? Console.OpenStandardOutput() : File.Create(path);
            var json = parse.GetValue(format) == "json";

            long written;
            var interactive = !toStdout && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (interactive)
            {
                var total = (await host.Store.GetStatsAsync(query, ct)).TotalEvents;
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
                written = 0;
                await console.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask($"Exporting to {Markup.Escape(path)}", maxValue: Math.Max(1, total));
                    written = await WriteAsync(stream, rows, json, count => task.Value = count, ct, keys);
                    task.Value = task.MaxValue;
                });
            }
            else
            {
                written = await WriteAsync(stream, rows, json, null, ct, keys);
            }

            if (!toStdout)
            {
                await output.WriteLineAsync($"Exported {written:N0} rows to {path}.");
            }

            return UsageCli.Ok;
        });
        return command;
    }

    internal static async Task<long> WriteAsync(Stream stream, IAsyncEnumerable<UsageEvent> rows, bool json, Action<long>? progress, CancellationToken ct,
        IReadOnlyList<string>? propertyKeys = null)
    {
        long count = 0;
        if (json)
        {
            await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            writer.WriteStartArray();
            await foreach (var e in rows.WithCancellation(ct))
            {
                WriteJson(writer, e, propertyKeys is not null);
                if (++count % 10_000 == 0)
                {
                    await writer.FlushAsync(ct);
                    progress?.Invoke(count);
                }
            }

            writer.WriteEndArray();
            await writer.FlushAsync(ct);
            return count;
        }

        // Text that a spreadsheet would run as a formula (=, +, -, @ …) is escaped: exports get opened in Excel.
        await using var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        csv.WriteRecord(propertyKeys is null ? Columns : [.. Columns[..^1], .. propertyKeys.Select(k => "properties." + k)]);
        foreach (var e in rows.ToBlockingEnumerable(ct))
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
            }
            else
            {
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
        }

        await csv.FlushAsync(ct);
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
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            return JsonDocument.TryParseValue(ref reader, out var doc) && doc is not null && Dispose(doc);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Dispose(JsonDocument doc)
    {
        doc.Dispose();
        return true;
    }
}
