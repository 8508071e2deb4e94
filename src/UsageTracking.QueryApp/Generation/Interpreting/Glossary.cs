using System.Text.Json;
using System.Text.Json.Serialization;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>What a data source calls its rows.</summary>
/// <param name="Singular">"study".</param>
/// <param name="Plural">"studies".</param>
/// <param name="Words">Every word or phrase that means a row ("trial", "clinical trial", "record").</param>
internal sealed record EntityNames(string Singular, string Plural, IReadOnlyList<string> Words);

/// <summary>A measure a term stands for ("active users" → count of distinct users).</summary>
internal sealed record TermMeasure(MeasureKind Kind, string? Column = null);

/// <summary>
/// A business term and what it means in this data: a filter on a column's values, the error flag, a column, one or more
/// measures, a grouping — or several of these ("error analysis" → errors only, by action).
/// </summary>
internal sealed record GlossaryTerm
{
    /// <summary>The column a filter or a grouping applies to.</summary>
    public string? Column { get; init; }

    /// <summary>Values of <see cref="Column"/> the term selects.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>True for "errors": rows the tracker counts as errors.</summary>
    public bool Errors { get; init; }

    /// <summary>Measures the term stands for.</summary>
    public IReadOnlyList<TermMeasure>? Measures { get; init; }

    /// <summary>A grouping the term implies (by <see cref="Column"/>, or this column).</summary>
    public string? GroupBy { get; init; }

    /// <summary>A time bucket the term implies ("daily").</summary>
    public Bucket? Bucket { get; init; }

    /// <summary>The user who taught the term in the app; null for a term written in the file.</summary>
    public string? TaughtBy { get; init; }

    /// <summary>When it was taught.</summary>
    public DateTimeOffset? TaughtAt { get; init; }

    /// <summary>The admin who shared a taught term with everyone; until then it reads only its teacher's questions.</summary>
    public string? SharedBy { get; init; }

    /// <summary>Whether the term reads <paramref name="user"/>'s questions: written in the file, shared, or taught by them.</summary>
    public bool AppliesTo(string? user) =>
        TaughtBy is null || SharedBy is not null || (user is not null && string.Equals(TaughtBy, user, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A computed column: days between two date columns.</summary>
internal sealed record DerivedColumn(string From, string To, IReadOnlyList<string> Words, string Label);

/// <summary>
/// The words of one data source's business: what its rows are called, synonyms of its columns, terms that stand for
/// filters or measures, computed columns. Shipped for the demo and the usage table; a file beside the saved examples
/// (<c>glossary-&lt;source&gt;.json</c>) adds to it, and users teach it a term from a refusal.
/// </summary>
internal sealed record Glossary
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public EntityNames Entity { get; init; } = new("row", "rows", ["row", "record", "entry"]);

    /// <summary>The date column a question means when it names none ("in 2020").</summary>
    public string? DefaultDate { get; init; }

    /// <summary>The numeric column "largest" and "smallest" mean.</summary>
    public string? SizeColumn { get; init; }

    /// <summary>Columns a listing shows (empty: all).</summary>
    public IReadOnlyList<string> ListColumns { get; init; } = [];

    /// <summary>Column → the words that also name it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Columns { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Term → what it means.</summary>
    public IReadOnlyDictionary<string, GlossaryTerm> Terms { get; init; } = new Dictionary<string, GlossaryTerm>();

    /// <summary>Column → values it may hold though none is in the data yet (the tracker's action names): a count of them is 0, not a refusal.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> KnownValues { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Computed columns, by name.</summary>
    public IReadOnlyDictionary<string, DerivedColumn> Derived { get; init; } = new Dictionary<string, DerivedColumn>();

    /// <summary>The glossary shipped for a domain (<c>clinical_trials</c>, <c>usage</c>); an empty one for others.</summary>
    public static Glossary ForDomain(string domain)
    {
        using var stream = typeof(Glossary).Assembly.GetManifestResourceStream($"UsageTracking.QueryApp.Glossaries.{domain}.json");
        var glossary = stream is null ? new Glossary() : JsonSerializer.Deserialize<Glossary>(stream, Json) ?? new Glossary();
        return domain == "usage"
            ? glossary with { KnownValues = Merge(glossary.KnownValues, new Dictionary<string, IReadOnlyList<string>> { ["action"] = Actions.All }) }
            : glossary;
    }

    /// <summary>Reads a glossary file; null when there is none. A damaged file is set aside, as saved examples are.</summary>
    public static Glossary? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Glossary>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            File.Move(path, path + ".damaged", overwrite: true);
            return null;
        }
    }

    /// <summary>Writes this glossary atomically.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file as it was stays; a half-written copy does not.
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The glossary as it reads <paramref name="user"/>'s questions (null: anyone's): without others' unshared taught terms.</summary>
    public Glossary For(string? user) => Terms.Values.All(t => t.AppliesTo(user))
        ? this
        : this with { Terms = Terms.Where(t => t.Value.AppliesTo(user)).ToDictionary(t => t.Key, t => t.Value, StringComparer.OrdinalIgnoreCase) };

    /// <summary>Whether <paramref name="user"/> taught terms nobody else sees yet.</summary>
    public bool HasOwnTerms(string? user) => user is not null && Terms.Values.Any(t => t.AppliesTo(user) && !t.AppliesTo(null));

    /// <summary>This glossary with <paramref name="extra"/>'s entries laid over it (the extra's win).</summary>
    public Glossary With(Glossary? extra) => extra is null ? this : this with
    {
        Entity = extra.Entity.Words.Count > 0 && extra.Entity.Singular != "row" ? extra.Entity : Entity,
        DefaultDate = extra.DefaultDate ?? DefaultDate,
        SizeColumn = extra.SizeColumn ?? SizeColumn,
        ListColumns = extra.ListColumns.Count > 0 ? extra.ListColumns : ListColumns,
        Columns = Merge(Columns, extra.Columns),
        Terms = Merge(Terms, extra.Terms),
        KnownValues = Merge(KnownValues, extra.KnownValues),
        Derived = Merge(Derived, extra.Derived),
    };

    private static Dictionary<string, T> Merge<T>(IReadOnlyDictionary<string, T> first, IReadOnlyDictionary<string, T> second)
    {
        var merged = new Dictionary<string, T>(first, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in second)
        {
            merged[key] = value;
        }

        return merged;
    }
}
