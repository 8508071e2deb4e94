using System.Text.Json;

namespace UsageTracking.Reporting;

/// <summary>Turns a <c>properties</c> JSON object into flat columns: nested keys joined with '.', arrays kept as JSON text.</summary>
public static class PropertyColumns
{
    /// <summary>Every flattened key of the events' properties, sorted.</summary>
    public static async Task<IReadOnlyList<string>> CollectKeysAsync(IAsyncEnumerable<UsageEvent> rows, CancellationToken ct)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var e in rows.WithCancellation(ct))
        {
            keys.UnionWith(Flatten(e.PropertiesJson).Keys);
        }

        return [.. keys];
    }

    /// <summary>The properties as flat key → text pairs; text that is not JSON comes back under <c>_raw</c>.</summary>
    public static Dictionary<string, string?> Flatten(string? json)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return values;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                Walk(document.RootElement, "", values);
            }
        }
        catch (JsonException)
        {
            values["_raw"] = json;
        }

        return values;
    }

    private static void Walk(JsonElement element, string prefix, Dictionary<string, string?> values)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix + property.Name;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    Walk(property.Value, key + ".", values);
                    break;
                case JsonValueKind.String:
                    values[key] = property.Value.GetString();
                    break;
                case JsonValueKind.Null:
                    values[key] = null;
                    break;
                default:
                    values[key] = property.Value.GetRawText();
                    break;
            }
        }
    }
}
