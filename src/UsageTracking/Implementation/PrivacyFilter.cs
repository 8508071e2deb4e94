using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace UsageTracking.Implementation;

/// <summary>Applies <see cref="PrivacyOptions"/> to a normalised event. Never throws.</summary>
internal static partial class PrivacyFilter
{
    public static string Hash(string user, string key)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(user.Trim().ToLowerInvariant()));
        return "u_" + Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }

    public static string? Redact(string? text) =>
        text is null ? null : LongDigits().Replace(Email().Replace(text, "[email]"), "[number]");

    /// <summary>Redacts every string value of a JSON object, however deep; returns the text unchanged when there is nothing to redact.</summary>
    public static string? RedactJson(string? json)
    {
        if (json is null || !Email().IsMatch(json) && !LongDigits().IsMatch(json))
        {
            return json;
        }

        var node = JsonNode.Parse(json);
        Walk(node);
        return node?.ToJsonString();
    }

    private static void Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        obj[key] = Redact(s);
                    }
                    else
                    {
                        Walk(value);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        array[i] = Redact(s);
                    }
                    else
                    {
                        Walk(array[i]);
                    }
                }

                break;
        }
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"\d{6,}", RegexOptions.CultureInvariant)]
    private static partial Regex LongDigits();
}
