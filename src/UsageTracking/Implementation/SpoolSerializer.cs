using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UsageTracking.Implementation;

/// <summary>One spooled event per line of JSON: readable with any tool, and a torn last line costs one event, not the file.</summary>
internal static class SpoolSerializer
{
    private static readonly SpoolJsonContext Context = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public static void WriteLine(IBufferWriter<byte> output, UsageEvent e)
    {
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            JsonSerializer.Serialize(writer, ToRecord(e), Context.SpoolRecord);
        }

        output.Write("\n"u8);
    }

    public static void WriteQuarantineLine(IBufferWriter<byte> output, UsageEvent e, string reason, DateTimeOffset now)
    {
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            JsonSerializer.Serialize(writer, new QuarantineRecord { QuarantinedAt = now, Reason = reason, Event = ToRecord(e) }, Context.QuarantineRecord);
        }

        output.Write("\n"u8);
    }

    public static void WriteUnreadableLine(IBufferWriter<byte> output, string source, string text, DateTimeOffset now)
    {
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            JsonSerializer.Serialize(writer, new QuarantineRecord { QuarantinedAt = now, Reason = "unreadable spool line", Source = source, Line = text }, Context.QuarantineRecord);
        }

        output.Write("\n"u8);
    }

    /// <summary>Whether a quarantine line holds an unreadable spool line rather than an event the store refused.</summary>
    public static bool IsUnreadableLine(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, Context.QuarantineRecord) is { Event: null, Line: not null };
        }
        catch (JsonException)
        {
            return true;
        }
    }

    public static string? ReadQuarantinedUser(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, Context.QuarantineRecord)?.Event?.User;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static UsageEvent? ReadLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var r = JsonSerializer.Deserialize(line, Context.SpoolRecord);
            if (r is null || string.IsNullOrEmpty(r.Id) || r.Action is null)
            {
                return null;
            }

            return new UsageEvent
            {
                EventId = r.Id,
                Timestamp = r.Ts,
                AppName = r.App,
                User = r.User,
                Action = r.Action,
                SessionId = r.Session,
                Detail = r.Detail,
                DurationMs = r.DurationMs,
                Model = r.Model,
                InputTokens = r.InputTokens,
                OutputTokens = r.OutputTokens,
                CostUsd = r.CostUsd,
                PropertiesJson = r.Props,
                IsError = r.Error,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static SpoolRecord ToRecord(UsageEvent e) => new()
    {
        Id = e.EventId ?? "",
        Ts = e.Timestamp,
        App = e.AppName,
        User = e.User,
        Action = e.Action,
        Session = e.SessionId,
        Detail = e.Detail,
        DurationMs = e.DurationMs,
        Model = e.Model,
        InputTokens = e.InputTokens,
        OutputTokens = e.OutputTokens,
        CostUsd = e.CostUsd,
        Props = e.PropertiesJson,
        Error = e.IsError,
    };
}

internal sealed class SpoolRecord
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("ts")] public DateTimeOffset Ts { get; set; }
    [JsonPropertyName("app")] public string? App { get; set; }
    [JsonPropertyName("user")] public string? User { get; set; }
    [JsonPropertyName("action")] public string? Action { get; set; }
    [JsonPropertyName("session")] public string? Session { get; set; }
    [JsonPropertyName("detail")] public string? Detail { get; set; }
    [JsonPropertyName("duration_ms")] public double? DurationMs { get; set; }
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("input_tokens")] public long? InputTokens { get; set; }
    [JsonPropertyName("output_tokens")] public long? OutputTokens { get; set; }
    [JsonPropertyName("cost_usd")] public decimal? CostUsd { get; set; }
    [JsonPropertyName("properties")] public string? Props { get; set; }
    [JsonPropertyName("error")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool Error { get; set; }
}

[JsonSerializable(typeof(SpoolRecord))]
[JsonSerializable(typeof(QuarantineRecord))]
internal sealed partial class SpoolJsonContext : JsonSerializerContext;

/// <summary>A line of the quarantine file: the event the store refused, and why.</summary>
internal sealed class QuarantineRecord
{
    [JsonPropertyName("quarantined_at")] public DateTimeOffset QuarantinedAt { get; set; }
    [JsonPropertyName("reason")] public string Reason { get; set; } = "";
    [JsonPropertyName("event")] public SpoolRecord? Event { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("line")] public string? Line { get; set; }
}
