using System.Text.Json;
using System.Text.RegularExpressions;
using UsageTracking.Sql;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Corpus;

/// <summary>The corpus of hostile inputs (<c>hostile-inputs.json</c> beside this file), read once.</summary>
public static partial class HostileInputs
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Repository.Path("tests", "UsageTracking.Tests", "Corpus", "hostile-inputs.json"))).RootElement);

    /// <summary>SQL the guard must refuse, with what each tries, on the dialects that read it as an attack (all, unless it names some).</summary>
    public static IReadOnlyList<(string Sql, string Tries, IReadOnlyList<SqlDialect> Dialects)> Sql => Root.Value.GetProperty("sql").EnumerateArray()
        .Select(e => (e.GetProperty("sql").GetString()!, e.GetProperty("tries").GetString()!,
            e.TryGetProperty("dialects", out var named)
                ? (IReadOnlyList<SqlDialect>)named.EnumerateArray().Select(d => Enum.Parse<SqlDialect>(d.GetString()!, ignoreCase: true)).ToList()
                : Enum.GetValues<SqlDialect>()))
        .ToList();

    /// <summary>Allowed SQL that must end in one sentence or a bounded result.</summary>
    public static IReadOnlyList<(string Sql, string Tries)> Heavy => Root.Value.GetProperty("heavy").EnumerateArray()
        .Select(e => (e.GetProperty("sql").GetString()!, e.GetProperty("tries").GetString()!)).ToList();

    /// <summary>Questions asked of the generator.</summary>
    public static IReadOnlyList<string> Questions => Root.Value.GetProperty("questions").EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>Column lists (as JSON) and whether the app must refuse them.</summary>
    public static IReadOnlyList<(JsonElement Columns, bool Refused)> Columns => Root.Value.GetProperty("columns").EnumerateArray()
        .Select(e => (e.GetProperty("columns").Clone(), e.GetProperty("refused").GetBoolean())).ToList();

    /// <summary>Raw request bodies and where they are sent.</summary>
    public static IReadOnlyList<(string Path, string Body)> Bodies => Root.Value.GetProperty("bodies").EnumerateArray()
        .Select(e => (e.GetProperty("path").GetString()!, e.GetProperty("body").GetString()!)).ToList();

    /// <summary>Asserts <paramref name="message"/> is one sentence for a user: not empty, one line, ending in a full stop (or a question mark), no stack trace.</summary>
    public static void AssertOneSentence(string? message, string context)
    {
        Assert.False(string.IsNullOrWhiteSpace(message), $"{context}: no message");
        Assert.True((message!.EndsWith('.') || message.EndsWith('?')) && !message.Contains('\n', StringComparison.Ordinal) && !StackFrame().IsMatch(message)
            && !message.Contains("Exception", StringComparison.Ordinal), $"{context}: not one sentence: {message}");
    }

    [GeneratedRegex(@"\bat [\w.<>`]+\(")]
    private static partial Regex StackFrame();
}
