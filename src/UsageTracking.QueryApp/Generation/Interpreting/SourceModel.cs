using System.Globalization;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>What a column holds, for the interpreter.</summary>
internal enum ColumnKind
{
    Text,
    Number,
    Date,
    Flag,
    Other,
}

/// <summary>
/// A column as the interpreter knows it: its kind, its distinct values when there are few (the value index), and how it
/// is written in SQL. Computed columns (days between two dates) carry the two columns instead of a name in the table.
/// </summary>
internal sealed record ModelColumn(string Name, ColumnKind Kind, string DeclaredType, IReadOnlyList<string>? Values = null, DerivedColumn? Derived = null)
{
    /// <summary>How the column is named in messages: "start date", "enrollment".</summary>
    public string Label => Derived?.Label ?? Name.Replace('_', ' ');

    /// <summary>Dates held as text (<c>'2024-05-01'</c>, SQLite's way): compared as text.</summary>
    public bool IsTextDate => Kind == ColumnKind.Date && !DeclaredType.Contains("DATE", StringComparison.OrdinalIgnoreCase) && !DeclaredType.Contains("TIME", StringComparison.OrdinalIgnoreCase);

    /// <summary>A date with a time of day (a timestamp) rather than a calendar date.</summary>
    public bool HasTime { get; init; }
}

/// <summary>
/// One data source as the interpreter knows it, learned from the source itself: the table, its columns and kinds, the
/// distinct values of its low-cardinality text columns, which text columns hold dates — and the source's glossary.
/// </summary>
internal sealed class SourceModel
{
    /// <summary>Text columns with more distinct values than this get no value index.</summary>
    public const int MaxIndexedValues = 200;

    public SourceModel(string sourceId, string table, SqlDialect dialect, IReadOnlyList<ModelColumn> columns, Glossary glossary)
    {
        SourceId = sourceId;
        Table = table;
        Dialect = dialect;
        Glossary = glossary;
        var all = columns.ToList();
        foreach (var (name, derived) in glossary.Derived)
        {
            if (all.Any(c => c.Name.Equals(derived.From, StringComparison.OrdinalIgnoreCase) && c.Kind == ColumnKind.Date)
                && all.Any(c => c.Name.Equals(derived.To, StringComparison.OrdinalIgnoreCase) && c.Kind == ColumnKind.Date))
            {
                all.Add(new ModelColumn(name, ColumnKind.Number, "derived", null, derived));
            }
        }

        Columns = all;
    }

    public string SourceId { get; }

    public string Table { get; }

    public SqlDialect Dialect { get; }

    public IReadOnlyList<ModelColumn> Columns { get; }

    public Glossary Glossary { get; }

    /// <summary>The same learned columns read with another glossary (a user's own taught terms).</summary>
    public SourceModel With(Glossary glossary) => new(SourceId, Table, Dialect, Columns.Where(c => c.Derived is null).ToList(), glossary);

    public ModelColumn? Column(string? name) => name is null ? null : Columns.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The date column a question means when it names none.</summary>
    public ModelColumn? DefaultDate => Column(Glossary.DefaultDate) ?? Columns.FirstOrDefault(c => c.Kind == ColumnKind.Date);

    /// <summary>The numeric column "largest" means.</summary>
    public ModelColumn? SizeColumn => Column(Glossary.SizeColumn);

    /// <summary>Learns <paramref name="source"/>: its schema, and for each text column a sample of its values.</summary>
    public static async Task<SourceModel> LearnAsync(IDataSource source, Glossary glossary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var schema = await source.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var columns = new List<ModelColumn>();
        foreach (var (name, type) in schema.Columns)
        {
            var kind = KindOf(name, type);
            if (kind != ColumnKind.Text)
            {
                columns.Add(new ModelColumn(name, kind, type) { HasTime = kind == ColumnKind.Date && type.Contains("TIME", StringComparison.OrdinalIgnoreCase) });
                continue;
            }

            // A sample of the column decides: dates written as text, a few distinct values (indexed), or free text.
            var sample = await DistinctAsync(source, schema.Name, name, cancellationToken).ConfigureAwait(false);
            if (glossary.KnownValues.FirstOrDefault(k => k.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value is { } known && sample.Count <= MaxIndexedValues)
            {
                sample = sample.Union(known, StringComparer.Ordinal).ToList();
            }

            if (sample.Count > 0 && sample.Take(50).All(LooksLikeDate))
            {
                columns.Add(new ModelColumn(name, ColumnKind.Date, type) { HasTime = sample.Take(50).Any(v => v.Length > 10) });
            }
            else if (sample.Count <= MaxIndexedValues && sample.All(v => v.Length <= 80))
            {
                columns.Add(new ModelColumn(name, ColumnKind.Text, type, sample.Order(StringComparer.Ordinal).ToList()));
            }
            else
            {
                columns.Add(new ModelColumn(name, ColumnKind.Text, type));
            }
        }

        return new SourceModel(source.Id, schema.Name, source.Dialect, columns, glossary);
    }

    internal static ColumnKind KindOf(string name, string type)
    {
        var t = type.ToUpperInvariant();
        if (name.StartsWith("is_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("has_", StringComparison.OrdinalIgnoreCase) || t is "BOOLEAN" or "BOOL")
        {
            return ColumnKind.Flag;
        }

        if (t.Contains("DATE", StringComparison.Ordinal) || t.Contains("TIME", StringComparison.Ordinal))
        {
            return ColumnKind.Date;
        }

        if (t.Contains("INT", StringComparison.Ordinal) || t.Contains("REAL", StringComparison.Ordinal) || t.Contains("NUM", StringComparison.Ordinal)
            || t.Contains("DOUB", StringComparison.Ordinal) || t.Contains("FLOAT", StringComparison.Ordinal) || t.Contains("DEC", StringComparison.Ordinal))
        {
            return ColumnKind.Number;
        }

        return t.Length == 0 || t.Contains("CHAR", StringComparison.Ordinal) || t.Contains("TEXT", StringComparison.Ordinal) || t.Contains("STRING", StringComparison.Ordinal) || t == "NAME"
            ? ColumnKind.Text
            : ColumnKind.Other;
    }

    private static bool LooksLikeDate(string value) =>
        value.Length >= 10 && value[4] == '-' && value[7] == '-'
        && DateOnly.TryParseExact(value[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    // At most MaxIndexedValues + 1 distinct values, from the first 200,000 rows: enough to tell a category from free text
    // without scanning a large table.
    private static async Task<List<string>> DistinctAsync(IDataSource source, string table, string column, CancellationToken cancellationToken)
    {
        var quoted = SqlNames.Quote(column, source.Dialect);
        var sql = $"SELECT DISTINCT {quoted} FROM (SELECT {quoted} FROM {SqlNames.QuoteTable(table, source.Dialect)} LIMIT 200000) AS sample WHERE {quoted} IS NOT NULL LIMIT {MaxIndexedValues + 1}";
        var values = new List<string>();
        try
        {
            await using var reader = await source.OpenAsync(sql, new SqlLimits(TimeSpan.FromSeconds(10)), cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.Current[0] is { } value)
                {
                    values.Add(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                }
            }
        }
        catch (SqlQueryException)
        {
            // A column the sample cannot read (a type the driver does not know) is free text to the interpreter.
            return Enumerable.Repeat("", MaxIndexedValues + 1).ToList();
        }

        return values;
    }
}

/// <summary>Identifiers as each dialect writes them: plain when they can be, quoted when they must.</summary>
internal static class SqlNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "user", "timestamp", "order", "group", "select", "from", "where", "date", "time", "limit", "table", "column", "desc", "asc",
        "by", "to", "end", "start", "year", "month", "day", "hour", "week", "value", "key", "count", "sum", "min", "max", "all", "any",
    };

    public static string Quote(string name, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(name);
        var plain = name.Length > 0 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !Reserved.Contains(name);
        if (plain)
        {
            return name;
        }

        return dialect == SqlDialect.Databricks ? $"`{name.Replace("`", "``", StringComparison.Ordinal)}`" : $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    /// <summary>A table name of one to three dotted parts, each quoted as needed.</summary>
    public static string QuoteTable(string name, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Contains('`', StringComparison.Ordinal) || name.Contains('"', StringComparison.Ordinal)
            ? name
            : string.Join(".", name.Split('.').Select(part => Quote(part, dialect)));
    }

    public static string Literal(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
}
