using UsageTracking.Sql;
namespace UsageTracking.QueryApp.Sql;

/// <summary>
/// Adds columns to a query's outermost SELECT list — and to its GROUP BY when it has one, so an aggregate query
/// gains a breakdown rather than an arbitrary value — leaving the rest of the text as the user wrote it.
/// </summary>
public static class SelectEditor
{
    private static readonly HashSet<string> ClauseAfterGroupBy = new(StringComparer.OrdinalIgnoreCase)
        { "HAVING", "ORDER", "LIMIT", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "QUALIFY", "OFFSET" };

    /// <summary>The query with <paramref name="columns"/> added; columns already selected are skipped. Null with a reason when the query has no place for them.</summary>
    public static (string? Sql, string? Error) AddColumns(string sql, IReadOnlyList<string> columns, SqlDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(columns);
        if (!SqlTokenizer.TryTokenize(sql, dialect, out var tokens, out var error))
        {
            return (null, error);
        }

        var (select, from) = OutermostSelect(tokens);
        if (select < 0 || from < 0)
        {
            return (null, "Columns can be added only to a query of the form SELECT … FROM ….");
        }

        var listed = tokens.Skip(select + 1).Take(from - select - 1).ToList();
        if (listed.Count == 1 && listed[0].Text == "*")
        {
            return (sql, null);
        }

        var present = new HashSet<string>(listed.Where(t => t.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier).Select(t => t.Text), StringComparer.OrdinalIgnoreCase);
        var added = columns.Where(c => !present.Contains(c)).Distinct(StringComparer.OrdinalIgnoreCase).Select(c => Quote(c, dialect)).ToList();
        if (added.Count == 0)
        {
            return (sql, null);
        }

        var insertions = new List<(int Position, string Text)>();
        var lastSelected = tokens[from - 1];
        insertions.Add((lastSelected.Start + lastSelected.Length, ", " + string.Join(", ", added)));

        var groupBy = Find(tokens, from, (t, i) => t.IsWord("GROUP") && i + 1 < tokens.Count && tokens[i + 1].IsWord("BY"));
        if (groupBy >= 0)
        {
            var end = Find(tokens, groupBy + 2, (t, _) => t.Kind == SqlTokenKind.Semicolon || (t.Kind == SqlTokenKind.Word && ClauseAfterGroupBy.Contains(t.Text)));
            var last = tokens[(end < 0 ? tokens.Count : end) - 1];
            if (last.Kind == SqlTokenKind.Semicolon)
            {
                last = tokens[(end < 0 ? tokens.Count : end) - 2];
            }

            insertions.Add((last.Start + last.Length, ", " + string.Join(", ", added)));
        }

        var text = sql;
        foreach (var (position, insertion) in insertions.OrderByDescending(i => i.Position))
        {
            text = text.Insert(position, insertion);
        }

        return (text, null);
    }

    private static (int Select, int From) OutermostSelect(List<SqlToken> tokens)
    {
        var depth = 0;
        var select = -1;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Text == "(")
            {
                depth++;
            }
            else if (t.Text == ")")
            {
                depth--;
            }
            else if (depth == 0 && select < 0 && t.IsWord("SELECT"))
            {
                select = i;
                while (select + 1 < tokens.Count && (tokens[select + 1].IsWord("DISTINCT") || tokens[select + 1].IsWord("ALL")))
                {
                    select++;
                }
            }
            else if (depth == 0 && select >= 0 && t.IsWord("FROM"))
            {
                return (select, i);
            }
        }

        return (select, -1);
    }

    // The next token at depth 0 (relative to start) matching the predicate.
    private static int Find(List<SqlToken> tokens, int start, Func<SqlToken, int, bool> match)
    {
        var depth = 0;
        for (var i = start; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Text == "(")
            {
                depth++;
            }
            else if (t.Text == ")")
            {
                depth--;
            }
            else if (depth == 0 && match(t, i))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Quote(string column, SqlDialect dialect)
    {
        var plain = column.All(c => char.IsLetterOrDigit(c) || c == '_') && !char.IsDigit(column[0]) && !Reserved.Contains(column);
        return plain ? column : dialect == SqlDialect.Databricks ? $"`{column.Replace("`", "``", StringComparison.Ordinal)}`" : $"\"{column.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "user", "timestamp", "order", "group", "select", "from", "where", "date" };
}
